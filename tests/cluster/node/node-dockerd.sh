#!/bin/sh
# Run the node's own dockerd as the container's main process, with its containers' cgroups
# nested under this node container's cgroup: the host's /sys/fs/cgroup is mounted in, and a
# cgroup parent at its root would outlive the node, while a nested one goes with it.
# Arguments are passed on to dockerd.
set -eu
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
if [ -n "$own" ] && [ "$own" != / ]; then
    set -- --cgroup-parent="$own/inner" "$@"
fi
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false "$@"
