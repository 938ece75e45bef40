#!/bin/sh
# fetch-vm-inputs.sh: fetch the Debian packages the VM image is made of, without installing
# them on this machine (`apt-get download`), into a cache.
#
#   installer/fetch-vm-inputs.sh [CACHE]      CACHE defaults to $BERTH_VM_CACHE or
#                                             /var/cache/berth/vm
#
# Leaves in CACHE:
#   vmlinuz, kernel-version   the kernel of linux-image-amd64 (the vm tests boot it as is)
#   debs/*.deb                every package boot2vm/build-image.sh takes files from: the
#                             kernel package (with its modules), the packages of
#                             boot2vm/image.conf (busybox-static, dropbear-bin, iptables,
#                             e2fsprogs), and the shared libraries all of their programs and
#                             berthd need, found by following DT_NEEDED entries (readelf)
#   debs/inputs.list          "PACKAGE VERSION FILE" per package: what the image is built from
#
# berthd's libraries are the packages and versions installed here (the ones it was linked
# against), found from the built binaries ($BERTH_BIN_DIR, default build/bin: build first).
# Without a built berthd everything else is fetched and inputs.list is not written; run me
# again after the build. Idempotent: with everything in the cache it downloads nothing and
# needs neither the network nor root; `apt-get update` runs only when apt does not know a
# package or version it needs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cache=${1:-${BERTH_VM_CACHE:-/var/cache/berth/vm}}
bindir=${BERTH_BIN_DIR:-$repo/build/bin}
debs=$cache/debs
closure=$repo/boot2vm/scripts/elf-closure.sh
# shellcheck source=../boot2vm/image.conf
. "$repo/boot2vm/image.conf"

say() { echo "fetch-vm-inputs.sh: $*"; }
die() {
    echo "fetch-vm-inputs.sh: $*" >&2
    exit 1
}
need_root() {
    [ "$(id -u)" -eq 0 ] || die "run me as root (apt-get downloads the packages)"
}

updated=no
# apt_update: refresh apt's lists, at most once per run; fails when it already ran.
apt_update() {
    [ "$updated" = no ] || return 1
    need_root
    say "apt-get update"
    apt-get -q update >/dev/null
    updated=yes
    forget
}

# apt-cache is slow here (0.4 s a call without a binary cache), so what it says is kept in
# $work/policy ("PKG CANDIDATE") and $work/madison ("PKG VERSION" a mirror has), each asked for
# many packages at once: learn PKG...
learn() {
    apt-cache policy "$@" 2>/dev/null | awk '
        /^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
        /^  Candidate:/ { print p, $2 }' >>"$work/policy"
    apt-cache madison "$@" 2>/dev/null | awk -F'|' '{ gsub(/ /, ""); print $1, $2 }' \
        >>"$work/madison"
    for p in "$@"; do
        grep -q "^$p " "$work/policy" || echo "$p (none)" >>"$work/policy"
    done
}

# forget: after apt-get update.
forget() {
    : >"$work/policy"
    : >"$work/madison"
}

# candidate PKG: the version apt would install, empty when apt does not know PKG.
candidate() {
    grep -q "^$1 " "$work/policy" || learn "$1"
    awk -v p="$1" '$1 == p && $2 != "(none)" { print $2; exit }' "$work/policy"
}

# in_archive PKG VERSION: a mirror has this version (dpkg's own record of an installed
# version does not count: it cannot be downloaded).
in_archive() {
    grep -q "^$1 " "$work/policy" || learn "$1"
    grep -qxF "$1 $2" "$work/madison"
}

# deb_file PKG VERSION: the file apt-get download leaves for it (":" in versions is "%3a").
deb_file() {
    v=$(printf '%s' "$2" | sed 's/:/%3a/g')
    for f in "$debs/$1_${v}_amd64.deb" "$debs/$1_${v}_all.deb"; do
        [ -f "$f" ] && {
            basename "$f"
            return 0
        }
    done
    return 0
}

mkdir -p "$debs"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
list=$work/inputs.list
tree=$work/tree
: >"$list"
mkdir -p "$tree" "$work/dl"
forget
# What the last run used, asked about in one go (the usual case: nothing changed).
if [ -f "$debs/inputs.list" ]; then
    # shellcheck disable=SC2046
    learn $BOOT2VM_PACKAGES $(cut -d' ' -f1 "$debs/inputs.list")
fi
# apt-get downloads as its _apt user when it can write the directory
id _apt >/dev/null 2>&1 && chown _apt "$work/dl"

# fetch PKG [VERSION]: make sure debs/ has PKG (VERSION, else the candidate) and add it to the
# list; the first version listed for a package wins. Unpacks it into the tree unless it is
# the kernel.
fetch() {
    pkg=$1
    ver=${2:-}
    grep -q "^$pkg " "$list" && return 0
    if [ -z "$ver" ]; then
        ver=$(candidate "$pkg")
        if [ -z "$ver" ] && apt_update; then
            ver=$(candidate "$pkg")
        fi
        [ -n "$ver" ] || die "apt knows no package $pkg"
    fi
    file=$(deb_file "$pkg" "$ver")
    if [ -z "$file" ]; then
        need_root
        say "downloading $pkg $ver"
        (cd "$work/dl" && apt-get -q download "$pkg=$ver" >/dev/null)
        mv "$work"/dl/*.deb "$debs/"
        file=$(deb_file "$pkg" "$ver")
        [ -n "$file" ] || die "apt-get download $pkg=$ver left no $debs/${pkg}_*.deb"
    fi
    echo "$pkg $ver $file" >>"$list"
    case "$pkg" in
    linux-image-*) ;;
    *) dpkg-deb -x "$debs/$file" "$tree" ;;
    esac
}

# fetch_exact PKG VERSION: the version installed here; when no mirror has it any more (a
# security update replaced it), the current one, which has the same sonames (Debian keeps a
# stable release's ABIs), with a warning.
fetch_exact() {
    if [ -n "$(deb_file "$1" "$2")" ] || in_archive "$1" "$2"; then
        fetch "$1" "$2"
        return 0
    fi
    # apt's lists may be older than what is installed; refresh them unless this was settled
    # in an earlier run (the replacement is in the cache)
    if [ -z "$(deb_file "$1" "$(candidate "$1")")" ] && apt_update && in_archive "$1" "$2"; then
        fetch "$1" "$2"
        return 0
    fi
    say "warning: $1 $2 (installed here) is in no mirror; using $(candidate "$1")" >&2
    fetch "$1"
}

# host_owner SONAME: the package installed here that has the library, and its version.
host_owner() {
    for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
        p=$(dpkg -S "$d/$1" 2>/dev/null | sed -n 's/^\([^:]*\):amd64: .*/\1/p; s/^\([^:]*\): .*/\1/p' |
            head -n 1)
        if [ -n "$p" ]; then
            echo "$p $(dpkg-query -W -f='${Version}' "$p")"
            return 0
        fi
    done
}

# from_depends SONAME: look for the library in the library packages the listed packages
# depend on (Debian's shlibs put exactly those in Depends), fetching the one that has it.
from_depends() {
    for dep in $(cut -d' ' -f1 "$list" | xargs apt-cache depends 2>/dev/null |
        sed -n 's/^ *\(Pre\)\{0,1\}Depends: \(lib[^ <]*\)$/\2/p' | sort -u); do
        grep -q "^$dep " "$list" && continue
        ver=$(candidate "$dep")
        [ -n "$ver" ] || continue
        f=$(deb_file "$dep" "$ver")
        if [ -z "$f" ]; then
            need_root
            (cd "$work/dl" && apt-get -q download "$dep=$ver" >/dev/null)
            mv "$work"/dl/*.deb "$debs/"
            f=$(deb_file "$dep" "$ver")
        fi
        if dpkg-deb -c "$debs/$f" | grep -q "/$1\( ->\|$\)"; then
            fetch "$dep" "$ver"
            return 0
        fi
    done
    return 1
}

# resolve MODE ROOT...: fetch packages until every library ROOT... needs is in the tree.
# MODE exact: host packages at their installed versions (berthd); else current versions.
resolve() {
    mode=$1
    shift
    while :; do
        sh "$closure" "$tree" "$@" >"$work/closure"
        missing=$(awk '$1 == "missing" { print $2 }' "$work/closure")
        [ -n "$missing" ] || return 0
        round=" "
        for so in $missing; do
            owner=$(host_owner "$so")
            if [ -n "$owner" ]; then
                pkg=${owner% *}
                case "$round" in *" $pkg "*) continue ;; esac
                round="$round$pkg "
                grep -q "^$pkg " "$list" &&
                    die "$pkg is fetched but has no $so (needed by $(awk -v s="$so" '$2 == s { print $3 }' "$work/closure"))"
                if [ "$mode" = exact ]; then
                    fetch_exact "$pkg" "${owner#* }"
                else
                    fetch "$pkg"
                fi
            elif ! from_depends "$so"; then
                die "no package found that has $so (needed by $(awk -v s="$so" '$2 == s { print $3 }' "$work/closure"))"
            fi
        done
    done
}

# The kernel: the one in the cache while a mirror still has its package, else the one
# linux-image-amd64 depends on today.
kv=$(cat "$cache/kernel-version" 2>/dev/null || true)
if [ -z "$kv" ] || [ -z "$(candidate "linux-image-$kv")" ]; then
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
    if [ -z "$pkg" ] && apt_update; then
        pkg=$(apt-cache depends linux-image-amd64 |
            sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
    fi
    [ -n "$pkg" ] || die "apt-cache does not know linux-image-amd64"
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

for p in $BOOT2VM_PACKAGES; do
    fetch "$p"
done

# berthd's libraries first, at the versions it was linked against; then the image programs'.
complete=no
if [ -x "$bindir/berthd" ] && [ -x "$bindir/berth-monitor" ]; then
    engine="$bindir/berthd $bindir/berth-monitor"
    # the runtime's test driver, built with the tests (BERTH_TESTS)
    [ -x "$bindir/berth-rt-run" ] && engine="$engine $bindir/berth-rt-run"
    # shellcheck disable=SC2086
    resolve exact $engine
    complete=yes
else
    say "no berthd in $bindir yet: its libraries are not fetched (build, then run me again)"
fi
roots=""
for pair in $BOOT2VM_PROGRAMS; do
    roots="$roots $tree/${pair%%:*}"
done
for d in $BOOT2VM_PLUGIN_DIRS; do
    roots="$roots $(find "$tree/$d" -name '*.so' | LC_ALL=C sort | tr '\n' ' ')"
done
# shellcheck disable=SC2086
resolve current $roots

if [ "$complete" = yes ]; then
    LC_ALL=C sort "$list" >"$debs/inputs.list.tmp"
    mv "$debs/inputs.list.tmp" "$debs/inputs.list"
    # Packages no longer used (an older kernel, a replaced library version) go.
    for f in "$debs"/*.deb; do
        grep -q " ${f##*/}\$" "$debs/inputs.list" || rm -f "$f"
    done
    say "$(wc -l <"$debs/inputs.list") packages in $debs (inputs.list)"
fi
