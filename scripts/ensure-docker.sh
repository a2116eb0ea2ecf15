#!/usr/bin/env bash
# Make sure a Docker Engine answers. On Debian as root with none running, install docker.io
# and start dockerd in the background (there is no init system here to do it for us).
set -euo pipefail

# The registry tests run Debian's docker-registry (the CNCF distribution registry) themselves;
# install it once when missing. Without root or apt they fail under CI with a clear message.
ensure_registry() {
    if command -v docker-registry >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "ensure-docker: docker-registry is missing (registry tests need it: apt-get install docker-registry)" >&2
        return 0
    fi
    echo "ensure-docker: installing docker-registry from apt" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends docker-registry >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
    fi
}
ensure_registry

if docker info >/dev/null 2>&1; then
    exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "ensure-docker: installing docker.io and busybox-static from apt" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq docker.io busybox-static >/dev/null
    else
        echo "ensure-docker: no Docker Engine answers and this is not a Debian root shell." >&2
        echo "  Install Docker Engine (https://docs.docker.com/engine/install/) and start it," >&2
        echo "  or point DOCKER_HOST at a running engine, then run this again." >&2
        exit 3
    fi
fi

if [ "$(id -u)" != 0 ]; then
    echo "ensure-docker: dockerd is installed but not running; start it (e.g. 'sudo systemctl start docker')." >&2
    exit 3
fi

log=${DOCKERD_LOG:-/var/log/orchestra-dockerd.log}
echo "ensure-docker: starting dockerd (log: $log)" >&2
nohup dockerd >"$log" 2>&1 &
echo $! >/var/run/orchestra-dockerd.pid
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    sleep 0.5
done
echo "ensure-docker: dockerd did not answer within 30 s; see $log" >&2
tail -20 "$log" >&2 || true
exit 3
