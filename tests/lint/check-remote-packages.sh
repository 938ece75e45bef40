#!/bin/sh
# check-remote-packages.sh BINDIR: every shared library berthd, berth-monitor and berth-init
# link (their DT_NEEDED entries) belongs to a package that installer/packages/remote-host.txt
# lists, so `berth machine create --driver generic` installs what they need on a Debian host.
set -eu
cd "$(dirname "$0")/../.."
bindir=${1:?usage: check-remote-packages.sh BINDIR}
list=installer/packages/remote-host.txt
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
status=0
for b in berthd berth-monitor berth-init; do
    [ -x "$bindir/$b" ] || { echo "check-remote-packages: no $bindir/$b" >&2; exit 1; }
    for lib in $(objdump -p "$bindir/$b" | awk '/NEEDED/ { print $2 }'); do
        pkg=
        for dir in /lib/$arch /usr/lib/$arch /lib /usr/lib; do
            pkg=$(dpkg -S "$dir/$lib" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$pkg" ] && break
        done
        if [ -z "$pkg" ]; then
            echo "check-remote-packages: $b needs $lib, which no installed package holds" >&2
            status=1
        elif ! grep -qx "$pkg" "$list"; then
            echo "check-remote-packages: $b needs $lib from $pkg: add $pkg to $list" >&2
            status=1
        fi
    done
done
[ "$status" -eq 0 ] && echo "check-remote-packages: $list covers berthd, berth-monitor, berth-init"
exit "$status"
