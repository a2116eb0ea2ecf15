#!/usr/bin/env bash
# The main job: bring up the flagship PHP + MariaDB example with orchestra, then show it works.
# Assumes `make bootstrap engine` ran (the Makefile's `demo` target does that first).
set -euo pipefail
cd "$(dirname "$0")/.."
example=examples/php-mysql

# No registry is reachable on some machines: build the Debian base image from apt if needed.
./scripts/bootstrap-debian-base.sh

if [ ! -f "$example/.env" ]; then
    echo "demo: creating $example/.env from .env.example (edit it to change the passwords)"
    cp "$example/.env.example" "$example/.env"
fi

.venv/bin/orchestra -f "$example/compose.yaml" up --build --wait

url=http://127.0.0.1:8080/
echo
echo "demo: the stack is up and healthy: $url"
curl -fsS "$url" || true
echo
echo "demo: stop it with: .venv/bin/orchestra -f $example/compose.yaml down   (add -v to drop the data)"
