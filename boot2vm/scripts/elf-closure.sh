#!/bin/sh
# elf-closure.sh TREE FILE...: the shared libraries FILE... load, found in TREE (a directory
# Debian packages were unpacked into), followed recursively through their DT_NEEDED entries
# (readelf). Prints one line per library:
#
#   lib SONAME PATH            PATH is the library's file in TREE (symbolic links resolved
#                              inside TREE, never on this machine)
#   missing SONAME NEEDED-BY   no package unpacked in TREE has it
#
# sorted by SONAME. Files that are not ELF objects (scripts) are skipped. Used by installer/fetch-vm-inputs.sh
# (to find the packages to download) and boot2vm/build-image.sh (to copy exactly these files).
set -eu
tree=${1:?usage: elf-closure.sh TREE FILE...}
shift
tree=$(cd "$tree" && pwd)
libdirs="lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib usr/lib"

# resolve PATH: follow symbolic links with absolute targets taken inside TREE.
resolve() {
    p=$1
    n=0
    while [ -L "$p" ]; do
        t=$(readlink "$p")
        case "$t" in
        /*) p=$tree$t ;;
        *) p=$(dirname "$p")/$t ;;
        esac
        n=$((n + 1))
        [ "$n" -lt 40 ] || { echo "elf-closure.sh: symbolic link loop at $1" >&2; exit 1; }
    done
    printf '%s\n' "$p"
}

# needed FILE...: "SONAME FILE" for every DT_NEEDED entry of the ELF files among FILE... (one
# readelf for all of them: it names each file when given several).
needed() {
    LC_ALL=C readelf -d "$@" 2>/dev/null | awk -v first="$1" '
        BEGIN { f = first }
        /^File: / { f = substr($0, 7) }
        /\(NEEDED\)/ { so = $0; sub(/.*\[/, "", so); sub(/\]$/, "", so); print so, f }'
}

seen=" "
out=$(mktemp)
trap 'rm -f "$out" "$out.round"' EXIT
queue=$*
while [ -n "$queue" ]; do
    next=""
    # shellcheck disable=SC2086
    needed $queue >"$out.round"
    while read -r so by; do
        case "$seen" in *" $so "*) continue ;; esac
        seen="$seen$so "
        found=""
        for d in $libdirs; do
            if [ -e "$tree/$d/$so" ]; then
                found=$(resolve "$tree/$d/$so")
                break
            fi
        done
        if [ -n "$found" ]; then
            echo "lib $so $found" >>"$out"
            next="$next $found"
        else
            echo "missing $so $by" >>"$out"
        fi
    done <"$out.round"
    queue=$next
done
rm -f "$out.round"
LC_ALL=C sort -k2,2 "$out"
