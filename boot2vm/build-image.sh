#!/bin/sh
# build-image.sh: build the VM image from the Debian packages in the cache and the engine's
# programs.
#
#   boot2vm/build-image.sh OUTDIR PROGRAM...
#
# PROGRAM... (berthd, berth-monitor, ...) go to /usr/bin in the guest. The packages are the
# ones installer/fetch-vm-inputs.sh put in $BERTH_VM_CACHE (default /var/cache/berth/vm),
# listed in its debs/inputs.list; what is taken from them is boot2vm/image.conf. Leaves in
# OUTDIR:
#
#   vmlinuz        Debian's kernel as shipped (bzImage)
#   vmlinux        the same kernel as an uncompressed ELF (PVH boot)
#   initrd.img     the root file system: an lz4'd (legacy format) newc cpio
#   berth.iso      vmlinuz and initrd.img on an isolinux ISO (when xorriso is installed)
#   manifest.json  kernel version, package versions, sizes and SHA-256 of each file
#
# Reproducible: the same inputs give the same bytes (sorted cpio entries, owners 0:0, every
# time SOURCE_DATE_EPOCH (default: a constant), no host names or dates anywhere).
# Needs no network and no root. See docs/design/machine.md for what the image promises.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-image.sh OUTDIR PROGRAM...}
shift
cache=${BERTH_VM_CACHE:-/var/cache/berth/vm}
epoch=${SOURCE_DATE_EPOCH:-1700000000}
# shellcheck source=image.conf
. "$here/image.conf"
umask 022
export LC_ALL=C

die() {
    echo "build-image.sh: $*" >&2
    exit 1
}

inputs=$cache/debs/inputs.list
[ -f "$inputs" ] || die "no $inputs: run installer/fetch-vm-inputs.sh"
kv=$(cat "$cache/kernel-version")
kpkg=linux-image-$kv
grep -q "^$kpkg " "$inputs" || die "$inputs has no $kpkg: run installer/fetch-vm-inputs.sh"
for p in $BOOT2VM_PACKAGES; do
    grep -q "^$p " "$inputs" || die "$inputs has no $p: run installer/fetch-vm-inputs.sh"
done
engine=""
for f in "$@"; do
    [ -x "$f" ] || die "no program $f (build it first)"
    engine="$engine $(cd "$(dirname "$f")" && pwd)/${f##*/}"
done

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/boot2vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkgs=$work/pkgs    # every package but the kernel, unpacked
kern=$work/kernel  # the kernel package's /boot and /lib/modules
root=$work/root    # the guest's root file system
mkdir -p "$pkgs" "$kern" "$root"

while read -r pkg _ver file; do
    case "$pkg" in
    "$kpkg") dpkg-deb --fsys-tarfile "$cache/debs/$file" |
        tar -x -C "$kern" "./boot/vmlinuz-$kv" ./lib/modules ;;
    linux-image-*) ;;
    *) dpkg-deb -x "$cache/debs/$file" "$pkgs" ;;
    esac
done <"$inputs"

# --- The kernel -----------------------------------------------------------------------------
cp "$kern/boot/vmlinuz-$kv" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
sh "$here/scripts/extract-vmlinux.sh" "$out/vmlinuz" "$out/vmlinux.tmp"
mv "$out/vmlinux.tmp" "$out/vmlinux"

# --- The file system's skeleton: merged /usr, as Debian 12 ----------------------------------
cd "$root"
mkdir -p usr/bin usr/sbin usr/lib/x86_64-linux-gnu usr/lib64 etc root proc sys dev run tmp \
    mnt/data var/lib/berth var/log newroot
chmod 700 root
chmod 1777 tmp
ln -s usr/bin bin
ln -s usr/sbin sbin
ln -s usr/lib lib
ln -s usr/lib64 lib64
ln -s ../run var/run
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 usr/lib64/ld-linux-x86-64.so.2

# --- Programs -------------------------------------------------------------------------------
progs=""
for pair in $BOOT2VM_PROGRAMS; do
    src=$pkgs/${pair%%:*}
    dst=${pair#*:}
    [ -f "$src" ] || die "no ${pair%%:*} in the packages of image.conf"
    mkdir -p "$(dirname "$dst")"
    cp "$src" "$dst"
    progs="$progs $root/$dst"
done
for f in $engine; do
    # without the build's debug information (RelWithDebInfo): a quarter of their size
    strip --strip-debug -o "usr/bin/${f##*/}" "$f"
    progs="$progs $root/usr/bin/${f##*/}"
done
for d in $BOOT2VM_PLUGIN_DIRS; do
    mkdir -p "$(dirname "$d")"
    cp -a "$pkgs/$d" "$d"
    progs="$progs $(find "$root/$d" -type f -name '*.so' | sort | tr '\n' ' ')"
done
for f in $BOOT2VM_DATA; do
    mkdir -p "$(dirname "$f")"
    cp "$pkgs/$f" "$f"
done

# iptables and friends are links to xtables-nft-multi (as Debian's alternatives make them).
for n in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore \
    iptables-nft iptables-nft-save iptables-nft-restore ip6tables-nft ip6tables-nft-save \
    ip6tables-nft-restore ebtables arptables; do
    ln -s xtables-nft-multi "usr/sbin/$n"
done
ln -s mke2fs usr/sbin/mkfs.ext4
ln -s e2fsck usr/sbin/fsck.ext4

# busybox's applets, where no real program has the name ("bin/ls" -> /usr/bin/ls).
"$root/usr/bin/busybox" --list-full | while read -r a; do
    case "$a" in
    usr/*) dst=$a ;;
    *) dst=usr/$a ;;
    esac
    [ -e "$dst" ] || [ -L "$dst" ] || ln -s /usr/bin/busybox "$dst"
done

# --- Shared libraries: exactly what the programs need, under their sonames --------------------
# shellcheck disable=SC2086
sh "$here/scripts/elf-closure.sh" "$pkgs" $progs >"$work/closure"
if grep -q '^missing ' "$work/closure"; then
    die "libraries in no fetched package (run installer/fetch-vm-inputs.sh):
$(awk '$1 == "missing" { print "  " $2 " needed by " $3 }' "$work/closure")"
fi
while read -r _ so path; do
    cp "$path" "usr/lib/x86_64-linux-gnu/$so"
done <"$work/closure"

# --- Kernel modules: the listed ones and what they depend on, in load order ------------------
depmod -b "$kern" "$kv"
moddir=lib/modules/$kv
mkdir -p "usr/$moddir"
# order MODULE...: the .ko files to insmod for them, dependencies first
order() {
    for m in "$@"; do
        modprobe -d "$kern" -S "$kv" --show-depends "$m" >"$work/dep" ||
            die "kernel $kv has no module $m"
        sed -n "s|^insmod $kern/$moddir/\([^ ]*\).*|\1|p" "$work/dep"
    done
}
# load-order: the boot's modules; load-order.late: the rest. The first mention of a module is
# where it loads.
# shellcheck disable=SC2086
order $BOOT2VM_MODULES | awk '!seen[$0]++' >"usr/$moddir/load-order"
# shellcheck disable=SC2086
order $BOOT2VM_MODULES_LATE | awk 'NR == FNR { seen[$0] = 1; next } !seen[$0]++' \
    "usr/$moddir/load-order" - >"usr/$moddir/load-order.late"
cat "usr/$moddir/load-order" "usr/$moddir/load-order.late" | while read -r ko; do
    mkdir -p "usr/$moddir/$(dirname "$ko")"
    cp "$kern/$moddir/$ko" "usr/$moddir/$ko"
done
cp "$kern/$moddir/modules.order" "$kern/$moddir/modules.builtin" \
    "$kern/$moddir/modules.builtin.modinfo" "usr/$moddir/"
depmod -b "$root" "$kv"

# --- /etc and the init ----------------------------------------------------------------------
# '*' in root's password field: no password works, keys do (dropbear refuses '!', locked).
echo 'root:*:0:0:root:/root:/bin/sh' >etc/passwd
echo 'root:x:0:' >etc/group
printf '/bin/sh\n/bin/ash\n' >etc/shells
echo berth >etc/hostname
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >etc/hosts
: >etc/resolv.conf
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >etc/nsswitch.conf
# busybox acpid maps the power button to the action PWRF/00000080 under /etc/acpi
mkdir -p etc/acpi/PWRF usr/share/udhcpc
cp "$here/init" init
ln -s /init usr/sbin/berth-vm
cp "$here/udhcpc.script" usr/share/udhcpc/default.script
cp "$here/acpi-power" etc/acpi/PWRF/00000080
chmod 755 init usr/share/udhcpc/default.script etc/acpi/PWRF/00000080
printf '%s\n' "$kv" >etc/berth-kernel
# what `docker info` shows as the Operating System (berthd reads PRETTY_NAME), as Docker
# Toolbox's VM showed "Boot2Docker"
printf 'NAME="Berth VM"\nID=berth-vm\nPRETTY_NAME="Berth VM (boot2vm, Debian kernel %s)"\n' "$kv" \
    >etc/os-release

# --- The archive ----------------------------------------------------------------------------
find . -exec touch -h -d "@$epoch" {} +
find . | sort | cpio --quiet -o -H newc -R 0:0 --reproducible >"$work/initrd.cpio"
# lz4 (the kernel's legacy lz4 format, -l): under TCG the kernel unpacks it about 0.8 s sooner
# than gzip, for 2 MB more; lz4 output depends on nothing but its input
lz4 -l -9 -q -c "$work/initrd.cpio" >"$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"

# --- The ISO (for hypervisors that boot one), when xorriso is installed ---------------------
# isolinux loads the bzImage and the initrd with the usual command line; the host's own
# arguments (berth.name=...) cannot reach a guest booted this way, the config disk can.
isofiles="vmlinuz vmlinux initrd.img"
if command -v xorriso >/dev/null; then
    iso=$work/iso
    mkdir -p "$iso/isolinux" "$iso/boot"
    cp "$pkgs/usr/lib/ISOLINUX/isolinux.bin" "$pkgs/usr/lib/syslinux/modules/bios/ldlinux.c32" \
        "$iso/isolinux/"
    cp "$out/vmlinuz" "$out/initrd.img" "$iso/boot/"
    cat >"$iso/isolinux/isolinux.cfg" <<'CFG'
DEFAULT berth
PROMPT 0
TIMEOUT 1
LABEL berth
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.img
  APPEND console=ttyS0 panic=-1 quiet cgroup_no_v1=all
CFG
    find "$iso" -exec touch -h -d "@$epoch" {} +
    # SOURCE_DATE_EPOCH makes xorriso use it for every date and the volume's UUID
    SOURCE_DATE_EPOCH=$epoch xorriso -as mkisofs -quiet -o "$out/berth.iso.tmp" -V BERTH \
        -R -isohybrid-mbr "$pkgs/usr/lib/ISOLINUX/isohdpfx.bin" -c isolinux/boot.cat \
        -b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" \
        2>"$work/xorriso.log" || die "xorriso failed: $(cat "$work/xorriso.log")"
    mv "$out/berth.iso.tmp" "$out/berth.iso"
    isofiles="$isofiles berth.iso"
else
    rm -f "$out/berth.iso"
    echo "build-image.sh: no xorriso: no berth.iso (installer/install-deps.sh build)"
fi

# --- The manifest ---------------------------------------------------------------------------
cd "$out"
{
    printf '{\n  "kernel": "%s",\n  "packages": {\n' "$kv"
    awk '{ printf "%s    \"%s\": \"%s\"", (NR > 1 ? ",\n" : ""), $1, $2 }' "$inputs"
    printf '\n  },\n  "files": {\n'
    first=1
    for f in $isofiles; do
        [ $first = 1 ] || printf ',\n'
        first=0
        printf '    "%s": {"size": %s, "sha256": "%s"}' "$f" "$(stat -c %s "$f")" \
            "$(sha256sum "$f" | cut -d' ' -f1)"
    done
    printf '\n  },\n  "initrd_uncompressed_size": %s\n}\n' "$(stat -c %s "$work/initrd.cpio")"
} >manifest.json.tmp
mv manifest.json.tmp manifest.json
echo "build-image.sh: $out:$(for f in $isofiles; do printf ' %s %s' "$f" "$(stat -c %s "$f")"; done)" \
    "bytes (kernel $kv)"
