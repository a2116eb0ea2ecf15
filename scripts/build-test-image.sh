#!/usr/bin/env bash
# Build the tiny offline test image (busybox-static in an empty rootfs, docker import).
# No registry is needed; a no-op when the image already exists.
set -euo pipefail
image=${1:-orchestra-test/busybox:1}

if docker image inspect "$image" >/dev/null 2>&1; then
    exit 0
fi
busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
    if [ -x /bin/busybox ]; then busybox=/bin/busybox; fi
fi
if [ -z "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
        busybox=/bin/busybox
    fi
fi
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,etc,tmp,root,var/www}
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
    # Linking busybox onto itself would destroy the binary.
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
tar -C "$rootfs" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - "$image" >/dev/null
echo "build-test-image: built $image" >&2
