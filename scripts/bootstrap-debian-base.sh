#!/usr/bin/env bash
# Make sure the image debian:bookworm-slim exists locally, for machines with no registry.
#
# Order: already present -> nothing to do; pull (short timeout) -> done; otherwise build the
# same thing from Debian packages with debootstrap and `docker import` it under the same name.
# The fallback needs root (debootstrap, chroot) and a reachable Debian apt mirror; it takes
# about 1-1.5 min and gives a ~75 MB single-layer image. Idempotent: a second run is a no-op.
#
# Usage: scripts/bootstrap-debian-base.sh [IMAGE]      (default debian:bookworm-slim)
# Env:   DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR  override the mirrors read from the host's apt
#        sources; PULL_TIMEOUT (seconds, default 30); SKIP_PULL=1 skips the pull attempt.
set -euo pipefail

image=${1:-debian:bookworm-slim}
suite=bookworm
started=$SECONDS

say() { printf 'bootstrap-debian-base: [%3ss] %s\n' "$((SECONDS - started))" "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# Print the first URI of the deb822 paragraph (or one-line `deb` entry) that lists SUITE.
# Comment lines are skipped: Debian's own sources carry a commented snapshot URI.
host_mirror() {
    local want=$1 uri
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        uri=$(awk -v want="$want" '
            /^[[:space:]]*#/ { next }
            /^[[:space:]]*$/ { if (hit && uri != "") { print uri; exit } hit = 0; uri = ""; next }
            tolower($1) == "uris:" { uri = $2 }
            tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == want) hit = 1 }
            END { if (hit && uri != "") print uri }
        ' /etc/apt/sources.list.d/debian.sources | head -n1)
        if [ -n "$uri" ]; then
            echo "$uri"
            return
        fi
    fi
    if [ -r /etc/apt/sources.list ]; then
        awk -v want="$want" '$1 == "deb" && $0 !~ /^[[:space:]]*#/ {
            i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i + 1) == want) { print $i; exit }
        }' /etc/apt/sources.list
    fi
}

if docker image inspect "$image" >/dev/null 2>&1; then
    say "$image is already present; nothing to do"
    exit 0
fi

if [ "${SKIP_PULL:-0}" != 1 ]; then
    say "trying: docker pull $image (timeout ${PULL_TIMEOUT:-30}s)"
    if timeout "${PULL_TIMEOUT:-30}" docker pull -q "$image" >/dev/null 2>&1; then
        say "pulled $image"
        exit 0
    fi
    say "pull failed; building $image from Debian packages instead"
fi

[ "$(id -u)" = 0 ] || die "building the base image needs root (debootstrap, chroot); rerun with sudo"

if ! command -v debootstrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "debootstrap is missing and there is no apt-get"
    say "installing debootstrap with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

mirror=${DEBIAN_MIRROR:-$(host_mirror "$suite")}
mirror=${mirror:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-$(host_mirror "$suite-security")}
security=${security:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

workdir=$(mktemp -d "${TMPDIR:-/var/tmp}/debian-base.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
rootfs=$workdir/rootfs

# The slim trimming must be in place before any package is unpacked so dpkg skips those files
# from the start; it stays in the image so later `apt-get install`s stay slim too.
mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d"
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
# Keep images small: no documentation, manual pages or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF

# Like the official image: apt keeps no downloaded packages or binary caches after it runs
# (images are rebuilt, not updated), and fetches no translations.
mkdir -p "$rootfs/etc/apt/apt.conf.d"
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"

keyring_opt=()
if [ -r "$keyring" ]; then keyring_opt=("--keyring=$keyring"); fi
say "debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase "${keyring_opt[@]}" "$suite" "$rootfs" "$mirror" \
    >"$workdir/debootstrap.log" 2>&1 || {
    tail -n 30 "$workdir/debootstrap.log" >&2
    die "debootstrap failed"
}

# debootstrap's first stage unpacks the essential packages without dpkg, so the excludes above
# did not apply to them: remove what they would have kept out.
find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
for dir in man groff info lintian linda locale; do
    if [ -d "$rootfs/usr/share/$dir" ]; then
        find "$rootfs/usr/share/$dir" -mindepth 1 -delete
    fi
done

say "writing deb822 sources for $suite, $suite-updates, $suite-security"
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: $keyring

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: $keyring
EOF

# No daemon may start inside the chroot while packages are upgraded.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 755 "$rootfs/usr/sbin/policy-rc.d"
say "apt-get update && apt-get upgrade in the chroot"
chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get upgrade -y -qq && apt-get clean' \
    >"$workdir/upgrade.log" 2>&1 || {
    tail -n 30 "$workdir/upgrade.log" >&2
    die "apt-get upgrade in the chroot failed"
}
rm -f "$rootfs/usr/sbin/policy-rc.d"

# The engine bind-mounts its own resolv.conf and hostname; the host's copies must not leak in.
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin "$rootfs/var/log/"*.log
rm -f "$rootfs/etc/resolv.conf"
: >"$rootfs/etc/hostname"

say "docker import -> $image"
tar -C "$rootfs" --numeric-owner -c . |
    docker import --change 'CMD ["bash"]' - "$image" >/dev/null
size=$(docker image inspect --format '{{.Size}}' "$image")
say "built $image ($((size / 1000000)) MB)"
