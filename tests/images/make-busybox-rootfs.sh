#!/bin/sh
# make-busybox-rootfs.sh OUT.tar
#
# The test base image, made with no network: a root file system from Debian's busybox-static
# (/bin/busybox, installed by installer/install-deps.sh), with every applet linked into /bin,
# minimal /etc/passwd and /etc/group, packed as a tar ready for `docker import`:
#
#   docker import OUT.tar busybox
#
# The output is reproducible: same busybox, same bytes (sorted names, fixed owners and times).
set -eu
out=${1:?usage: make-busybox-rootfs.sh OUT.tar}
bb=${BUSYBOX:-/bin/busybox}
if ! [ -x "$bb" ]; then
    echo "make-busybox-rootfs: $bb is missing; install Debian's busybox-static" >&2
    exit 1
fi
# A dynamically linked busybox would need its libraries in the image.
if command -v ldd >/dev/null && ldd "$bb" >/dev/null 2>&1; then
    echo "make-busybox-rootfs: $bb is not static; install Debian's busybox-static" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/home" "$root/tmp" "$root/var/tmp" \
    "$root/proc" "$root/sys" "$root/dev" "$root/usr/bin" "$root/usr/sbin" "$root/sbin"
cp "$bb" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
# The links `busybox --install -s` makes, absolute, each at its applet's full path
# (bin/sh, sbin/ifconfig, usr/bin/env, ...): inside a container they point at /bin/busybox.
for applet in $("$bb" --list-full); do
    case "$applet" in
    bin/busybox) ;;
    *) ln -s /bin/busybox "$root/$applet" ;;
    esac
done
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
nogroup:x:65534:
GROUP
echo "berth-test" > "$root/etc/hostname"

tar --create --file="$out" --directory="$root" --sort=name --numeric-owner --owner=0 \
    --group=0 --mtime='2020-01-01 00:00:00Z' --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime .
echo "$out: busybox rootfs with $("$bb" --list-full | wc -l) applets"
