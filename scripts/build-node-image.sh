#!/usr/bin/env bash
# Build the swarm node image of the cluster tests (tests/cluster/): debian:bookworm-slim plus
# Debian's docker.io, iptables, ca-certificates and docker-registry, installed with apt inside
# `docker build`. No registry is needed, only a Debian apt mirror and the local base image
# (`make example-base` makes it with scripts/bootstrap-debian-base.sh).
#
# Idempotent: a no-op when IMAGE exists and was built from the same build context (the context's
# digest is a label on the image, so an edited Dockerfile rebuilds under the same tag).
#
# Usage: scripts/build-node-image.sh [IMAGE]      (default orchestra-test/swarm-node:1)
set -euo pipefail

image=${1:-orchestra-test/swarm-node:1}
base=debian:bookworm-slim
context=$(cd "$(dirname "$0")/../tests/cluster/node" && pwd)
label=io.orchestra.test.node-context
started=$SECONDS

say() { printf 'build-node-image: [%3ss] %s\n' "$((SECONDS - started))" "$*" >&2; }

digest=$(cd "$context" && cat Dockerfile registry.yml node-dockerd.sh | sha256sum | cut -c1-16)
current=$(docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null || true)
if [ "$current" = "$digest" ]; then
    exit 0
fi
if ! docker image inspect "$base" >/dev/null 2>&1; then
    say "error: base image $base is missing: run scripts/bootstrap-debian-base.sh (make example-base)"
    exit 1
fi
old_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "building $image from $context (apt-get install docker.io docker-registry ...)"
# The legacy builder uses the local base image as it is and never contacts a registry for it.
DOCKER_BUILDKIT=0 docker build --quiet --label "$label=$digest" --tag "$image" "$context" >/dev/null
if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect --format '{{.Id}}' "$image")" ]; then
    # The previous build of this tag is now untagged: remove it rather than leave it dangling.
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
size=$(docker image inspect --format '{{.Size}}' "$image")
say "built $image ($((size / 1000000)) MB)"
