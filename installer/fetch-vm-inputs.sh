#!/bin/sh
# fetch-vm-inputs.sh: fetch the Debian packages the VM image is made of, without installing
# them on this machine (`apt-get download`), into a cache.
#
#   installer/fetch-vm-inputs.sh [CACHE]      CACHE defaults to $BERTH_VM_CACHE or
#                                             /var/cache/berth/vm
#
# Leaves in CACHE:
#   vmlinuz, kernel-version   the kernel of linux-image-amd64 (tests/vm/test_boot.py boots it)
#   debs/*.deb                every package boot2vm/build-image.sh takes files from: the
#                             kernel package (with its modules), the packages of
#                             boot2vm/image.conf, and the shared libraries their programs and
#                             the engine need, found by following DT_NEEDED (readelf)
#   debs/inputs.list          "PACKAGE VERSION FILE" per package: what the image is built from
#
# The engine's libraries are image.conf's BOOT2VM_ENGINE_LIBS, plus what a built berthd
# ($BERTH_BIN_DIR, default build/bin) needs when there is one; their packages are the ones
# installed here (the build links against them), at the version a mirror has now (a Debian
# release keeps its sonames). Idempotent: with everything in the cache it downloads nothing
# and needs no network and no root; `apt-get update` runs only when apt knows no version of a
# package.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cache=${1:-${BERTH_VM_CACHE:-/var/cache/berth/vm}}
bindir=${BERTH_BIN_DIR:-$repo/build/bin}
debs=$cache/debs
# shellcheck source=../boot2vm/image.conf
. "$repo/boot2vm/image.conf"
export LC_ALL=C

say() { echo "fetch-vm-inputs.sh: $*"; }
die() {
    echo "fetch-vm-inputs.sh: $*" >&2
    exit 1
}

mkdir -p "$debs"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
list=$work/inputs.list
tree=$work/tree
mkdir -p "$tree" "$work/dl"
: >"$list"
: >"$work/policy"
# apt-get downloads as its _apt user when it can write the directory
id _apt >/dev/null 2>&1 && chown _apt "$work/dl"

updated=no
# candidate PKG: the version apt would install, empty when apt knows none. apt-cache is slow
# (0.4 s a call), so the first call asks about everything the last run used at once.
candidate() {
    grep -q "^$1 " "$work/policy" || apt-cache policy "$1" 2>/dev/null | awk -v p="$1" '
        /^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
        /^  Candidate:/ { print p, $2 }' >>"$work/policy"
    v=$(awk -v p="$1" '$1 == p && $2 != "(none)" { print $2; exit }' "$work/policy")
    if [ -z "$v" ] && [ "$updated" = no ]; then
        [ "$(id -u)" -eq 0 ] || die "apt knows no $1: run me as root (apt-get update)"
        say "apt-get update"
        apt-get -q update >/dev/null
        updated=yes
        : >"$work/policy"
        candidate "$1"
        return 0
    fi
    printf '%s\n' "$v"
}
if [ -f "$debs/inputs.list" ]; then
    # shellcheck disable=SC2046
    apt-cache policy $(cut -d' ' -f1 "$debs/inputs.list") 2>/dev/null | awk '
        /^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
        /^  Candidate:/ { print p, $2 }' >"$work/policy"
fi

# deb_file PKG VERSION: the cached file for it, if any (":" in versions is "%3a" in names).
deb_file() {
    v=$(printf '%s' "$2" | sed 's/:/%3a/g')
    for f in "$debs/$1_${v}_amd64.deb" "$debs/$1_${v}_all.deb"; do
        if [ -f "$f" ]; then
            basename "$f"
            return 0
        fi
    done
}

# fetch PKG: make sure debs/ has PKG's candidate version, list it and (but the kernel)
# unpack it into the tree.
fetch() {
    grep -q "^$1 " "$list" && return 0
    ver=$(candidate "$1")
    [ -n "$ver" ] || die "apt knows no package $1"
    file=$(deb_file "$1" "$ver")
    if [ -z "$file" ]; then
        [ "$(id -u)" -eq 0 ] || die "$1 $ver is not in $debs: run me as root (apt-get download)"
        say "downloading $1 $ver"
        (cd "$work/dl" && apt-get -q download "$1=$ver" >/dev/null)
        mv "$work"/dl/*.deb "$debs/"
        file=$(deb_file "$1" "$ver")
        [ -n "$file" ] || die "apt-get download $1=$ver left no $debs/${1}_*.deb"
    fi
    echo "$1 $ver $file" >>"$list"
    case "$1" in
    linux-image-*) ;;
    *) dpkg-deb -x "$debs/$file" "$tree" ;;
    esac
}

# owner SONAME: the package installed here that has the library.
owner() {
    for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
        p=$(dpkg -S "$d/$1" 2>/dev/null | sed -n '1s/^\([^:]*\)\(:amd64\)\{0,1\}: .*/\1/p')
        if [ -n "$p" ]; then
            echo "$p"
            return 0
        fi
    done
}

# has PKG SONAME: PKG's cached .deb (downloaded when missing) has the library.
has() {
    ver=$(candidate "$1")
    [ -n "$ver" ] || return 1
    file=$(deb_file "$1" "$ver")
    if [ -z "$file" ]; then
        [ "$(id -u)" -eq 0 ] || die "$1 $ver is not in $debs: run me as root (apt-get download)"
        (cd "$work/dl" && apt-get -q download "$1=$ver" >/dev/null)
        mv "$work"/dl/*.deb "$debs/"
        file=$(deb_file "$1" "$ver")
    fi
    [ -n "$file" ] && dpkg-deb -c "$debs/$file" | grep -q "/$2\( ->\|\$\)"
}

# from_depends SONAME: for a library no package installed here has (dropbear's libtomcrypt):
# the package the last run found, else one of the library packages the fetched ones depend on
# (Debian's shlibs put exactly those in Depends). Fetches it.
from_depends() {
    for dep in $(cut -d' ' -f1 "$debs/inputs.list" 2>/dev/null) \
        $(cut -d' ' -f1 "$list" | xargs apt-cache depends 2>/dev/null |
            sed -n 's/^ *\(Pre\)\{0,1\}Depends: \(lib[^ <]*\)$/\2/p' | sort -u); do
        grep -q "^$dep " "$list" && continue
        case "$dep" in linux-image-*) continue ;; esac
        if has "$dep" "$1"; then
            fetch "$dep"
            return 0
        fi
    done
    return 1
}

# lib_path SONAME: the library's file in the tree.
lib_path() {
    for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
        [ -e "$tree/$d/$1" ] && {
            echo "$tree/$d/$1"
            return 0
        }
    done
}

# The kernel: the one in the cache while apt still has its package, else the one
# linux-image-amd64 depends on today.
kv=$(cat "$cache/kernel-version" 2>/dev/null || true)
if [ -z "$kv" ] || [ -z "$(candidate "linux-image-$kv")" ]; then
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
    [ -n "$pkg" ] || die "apt-cache does not know linux-image-amd64 (apt-get update?)"
    kv=${pkg#linux-image-}
fi
fetch "linux-image-$kv"
kdeb=$debs/$(awk '$1 ~ /^linux-image-/ { print $3 }' "$list")
if [ ! -s "$cache/vmlinuz" ] || [ "$(cat "$cache/kernel-version" 2>/dev/null)" != "$kv" ]; then
    dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work" "./boot/vmlinuz-$kv"
    # rename last: a cache with vmlinuz and kernel-version is complete
    mv "$work/boot/vmlinuz-$kv" "$cache/vmlinuz"
    printf '%s\n' "$kv" >"$cache/kernel-version.tmp"
    mv "$cache/kernel-version.tmp" "$cache/kernel-version"
fi
say "kernel $kv in $cache"

for p in $BOOT2VM_PACKAGES $BOOT2VM_ISO_PACKAGES; do
    fetch "$p"
done

# The roots whose libraries the image needs: the programs, the plugins, the engine's libraries
# and, when built, the engine itself.
sonames=$BOOT2VM_ENGINE_LIBS
for b in berthd berth-monitor berth-rt-run; do
    [ -x "$bindir/$b" ] || continue
    sonames="$sonames $(readelf -d "$bindir/$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
done
for so in $sonames; do
    [ -n "$(lib_path "$so")" ] && continue
    p=$(owner "$so")
    [ -n "$p" ] || die "no package installed here has $so (installer/install-deps.sh build)"
    fetch "$p"
done
roots=""
for so in $sonames; do
    roots="$roots $(lib_path "$so")"
done
for pair in $BOOT2VM_PROGRAMS; do
    roots="$roots $tree/${pair%%:*}"
done
for d in $BOOT2VM_PLUGIN_DIRS; do
    roots="$roots $(find "$tree/$d" -name '*.so' | sort | tr '\n' ' ')"
done

# Follow DT_NEEDED until every library is in a fetched package.
while :; do
    # shellcheck disable=SC2086
    sh "$repo/boot2vm/scripts/elf-closure.sh" "$tree" $roots >"$work/closure"
    missing=$(awk '$1 == "missing" { print $2 }' "$work/closure" | sort -u)
    [ -n "$missing" ] || break
    before=$(wc -l <"$list")
    for so in $missing; do
        p=$(owner "$so")
        if [ -z "$p" ]; then
            from_depends "$so" && continue
            die "no package has $so, which the image needs
$(awk -v s="$so" '$1 == "missing" && $2 == s { print "  needed by " $3 }' "$work/closure")"
        fi
        fetch "$p"
    done
    [ "$(wc -l <"$list")" -gt "$before" ] || die "the fetched packages lack: $(echo "$missing" | tr "\n" " ")"
done

sort "$list" >"$debs/inputs.list.tmp"
mv "$debs/inputs.list.tmp" "$debs/inputs.list"
# Packages no longer used (an older kernel, a replaced version) go.
for f in "$debs"/*.deb; do
    grep -q " ${f##*/}\$" "$debs/inputs.list" || rm -f "$f"
done
say "$(wc -l <"$debs/inputs.list") packages in $debs (inputs.list)"
