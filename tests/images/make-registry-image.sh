#!/bin/sh
# make-registry-image.sh OUT.tar
#
# The `registry` test image, made with no network: Debian's docker-registry (distribution 2.8,
# /usr/bin/docker-registry, installed by installer/install-deps.sh) with the shared libraries
# it loads, and a configuration that serves :5000 from /var/lib/registry without auth, as the
# Docker Hub's registry:2 image does. Packed as a tar for
#
#   docker import --change 'CMD ["/usr/bin/docker-registry","serve","/etc/docker/registry/config.yml"]' \
#       --change 'EXPOSE 5000' --change 'VOLUME /var/lib/registry' OUT.tar registry
#
# (tests/e2e/test_registry.py does that). Reproducible: same inputs, same bytes.
set -eu
out=${1:?usage: make-registry-image.sh OUT.tar}
bin=${REGISTRY_BIN:-/usr/bin/docker-registry}
if ! [ -x "$bin" ]; then
    echo "make-registry-image: $bin is missing; install Debian's docker-registry" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/usr/bin" "$root/etc/docker/registry" "$root/var/lib/registry" "$root/tmp" \
    "$root/proc" "$root/sys" "$root/dev"
cp "$bin" "$root/usr/bin/docker-registry"
# the program's libraries and loader, at their paths
for lib in $(ldd "$bin" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^\s*\(\/[^ ]*\) (.*/\1/p'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
chmod 1777 "$root/tmp"
cat > "$root/etc/docker/registry/config.yml" <<'CONFIG'
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
CONFIG
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/usr/bin/docker-registry
PASSWD
echo "root:x:0:" > "$root/etc/group"

tar --create --file="$out" --directory="$root" --sort=name --numeric-owner --owner=0 \
    --group=0 --mtime='2020-01-01 00:00:00Z' --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime .
echo "$out: the registry image ($(du -k "$out" | cut -f1) kB)"
