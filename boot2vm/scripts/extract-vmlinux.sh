#!/bin/sh
# extract-vmlinux.sh BZIMAGE OUT: write the uncompressed kernel ELF inside BZIMAGE to OUT.
#
# A bzImage is a small decompressor followed by the compressed vmlinux (xz for Debian's
# kernel; gzip or zstd for others). We look for each format's magic bytes, decompress from
# there (the decompressors stop at the end of their stream and complain about the trailing
# bytes, which we ignore) and keep the first result that is an ELF file. The same idea as the
# kernel's scripts/extract-vmlinux. Booted through its PVH entry (`qemu -kernel vmlinux`), the
# ELF saves the ~4 s the bzImage spends decompressing itself under TCG.
set -eu
in=${1:?usage: extract-vmlinux.sh BZIMAGE OUT}
out=${2:?usage: extract-vmlinux.sh BZIMAGE OUT}
tmp=$out.tmp
trap 'rm -f "$tmp"' EXIT

is_elf() {
    [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]
}

# try MAGIC COMMAND...: for each offset of MAGIC (a grep -P pattern), decompress from there.
try() {
    magic=$1
    shift
    for off in $(LC_ALL=C grep -obUaP "$magic" "$in" | cut -d: -f1); do
        tail -c +"$((off + 1))" "$in" | "$@" >"$tmp" 2>/dev/null || true
        if [ -s "$tmp" ] && is_elf "$tmp"; then
            mv "$tmp" "$out"
            return 0
        fi
    done
    return 1
}

try '\xfd7zXZ\x00' xz -dc ||
    try '\x1f\x8b\x08' gzip -dc ||
    try '\x28\xb5\x2f\xfd' zstd -dcq ||
    {
        echo "extract-vmlinux.sh: no xz, gzip or zstd compressed ELF found in $in" >&2
        exit 1
    }
