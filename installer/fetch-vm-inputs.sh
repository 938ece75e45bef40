#!/bin/sh
# fetch-vm-inputs.sh: fetch the Debian packages a VM is made from, without installing them on
# this machine (`apt-get download`), and unpack what the VM needs into a cache.
#
#   installer/fetch-vm-inputs.sh [CACHE]      CACHE defaults to $BERTH_VM_CACHE or
#                                             /var/cache/berth/vm
#
# Today that is the kernel of linux-image-amd64: CACHE/vmlinuz (and CACHE/kernel-version).
# Idempotent: with the kernel in the cache it changes nothing and needs no network. Run as
# root (apt-get).
set -eu
cache=${1:-${BERTH_VM_CACHE:-/var/cache/berth/vm}}

if [ -s "$cache/vmlinuz" ] && [ -s "$cache/kernel-version" ]; then
    echo "fetch-vm-inputs.sh: kernel $(cat "$cache/kernel-version") is in $cache"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "fetch-vm-inputs.sh: run me as root (apt-get downloads the packages)" >&2
    exit 1
fi

# The metapackage names the kernel package of the day (linux-image-6.1.0-NN-amd64).
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
    apt-get update
    pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
fi
if [ -z "$pkg" ]; then
    echo "fetch-vm-inputs.sh: apt-cache does not know linux-image-amd64" >&2
    exit 1
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
chmod 755 "$work" # apt-get downloads as its _apt user
trap 'rm -rf "$work"' EXIT
echo "fetch-vm-inputs.sh: downloading $pkg"
(cd "$work" && apt-get download "$pkg")
deb=$(ls "$work"/*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
kernel=$(ls "$work"/boot/vmlinuz-*)
version=${kernel##*/vmlinuz-}
# rename last: a cache with vmlinuz and kernel-version is complete
mv "$kernel" "$cache/vmlinuz"
printf '%s\n' "$version" >"$cache/kernel-version.tmp"
mv "$cache/kernel-version.tmp" "$cache/kernel-version"
echo "fetch-vm-inputs.sh: kernel $version in $cache"
