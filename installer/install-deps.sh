#!/bin/sh
# install-deps.sh: install every Debian package Berth's build, tests and runtime need.
#
# Run as root on Debian 12. Idempotent: when everything is installed already it changes
# nothing and needs no network; otherwise it runs `apt-get update` and installs what is
# missing. The lists are installer/packages/{build,test,runtime}.txt. With build or test it
# also fetches the VM image's inputs into a cache (fetch-vm-inputs.sh: the guest's kernel and
# the Debian packages boot2vm is built from, downloaded with apt-get download, never
# installed); the build makes the image (build/boot2vm) when they are there.
#
#   installer/install-deps.sh            everything
#   installer/install-deps.sh build      only what the build needs (also: test, runtime)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sets=${*:-build test runtime}

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: run me as root (apt-get installs packages)" >&2
    exit 1
fi

wanted=""
for s in $sets; do
    list="$here/packages/$s.txt"
    if [ ! -f "$list" ]; then
        echo "install-deps.sh: no package list \"$s\" (have: build, test, runtime)" >&2
        exit 1
    fi
    wanted="$wanted $(sed -e 's/#.*//' "$list" | tr -s ' \n' ' ')"
done

missing=""
for p in $wanted; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "install-deps.sh: all packages are installed"
else
    echo "install-deps.sh: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # Daemons the packages bring (libvirtd, virtlogd, sshd) are not started by the install: the
    # tests start their own, with their own configuration, inside namespaces they make. A
    # policy-rc.d that answers 101 ("action forbidden") tells invoke-rc.d so; one that is there
    # already is left alone.
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $missing || status=$?
    [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
    [ -z "${status:-}" ] || exit "$status"
fi

# The VM image's inputs, downloaded, not installed: for the build's boot2vm target and the vm
# tests (the engine's libraries are found through the build's packages).
case " $sets " in
*" build "* | *" test "*) "$here/fetch-vm-inputs.sh" ;;
esac
