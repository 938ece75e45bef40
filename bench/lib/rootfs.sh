# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# bench/lib/rootfs.sh: the busybox test rootfs, as a tar that `docker import`,
# `podman import` and an OCI bundle all start from. Sourced by bench/run;
# expects REPO_DIR and log().

# bench_make_rootfs_tar OUT.tar
bench_make_rootfs_tar() {
	local maker=$REPO_DIR/tests/images/make-busybox-rootfs.sh
	log "rootfs: $maker"
	"$maker" "$1"
}
