# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# bench/lib/namespace.sh: the benchmarks' state dirs, their private mount+PID namespace and the
# clean-up after it. Sourced by bench/run and bench/volumes/run; expects BENCH_DIR (bench/),
# RUN_DIR, STATE_DIR and log(). See bench/README.md ("The namespace, and why").

# --- outside the namespace ------------------------------------------------

# One benchmark at a time on the machine: RUN_DIR and STATE_DIR are fixed paths, the same for
# every checkout, and each run starts by removing what it finds there. Hold a machine-wide lock
# on fd 9 for the whole run; the daemons are started with 9<&- so that they do not inherit it.
BENCH_LOCK=/run/lock/berth-bench.lock
bench_lock() {
	exec 9>>"$BENCH_LOCK"
	flock -n 9 || die "another benchmark holds $BENCH_LOCK"
}

# True if a daemon of another run answers in RUN_DIR: a checkout whose bench locked its own
# bench/run instead of BENCH_LOCK, which must not lose its state dirs under it.
bench_running_elsewhere() {
	local sock
	for sock in "$RUN_DIR"/*.sock; do
		if [[ -S $sock ]] && curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; then
			log "$sock answers"
			return 0
		fi
	done
	return 1
}

# rmdir_tree DIR: remove DIR and the directories under it, where empty.
rmdir_tree() {
	if [[ -d $1 ]]; then
		find "$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
	fi
}

# Remove the cgroups the runs made: everything under /berth-bench (dockerd's
# and the bundle's parent), and podman's /libpod_parent where it was not
# there before. rmdir only removes empty cgroups, so nothing live is touched.
remove_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/berth-bench; do
		rmdir_tree "$d"
	done
	if [[ -f $RUN_DIR/new-cgroups ]]; then
		while read -r d; do
			rmdir_tree "$d"
		done <"$RUN_DIR/new-cgroups"
	fi
	for d in /sys/fs/cgroup/*/berth-bench; do
		[[ -d $d ]] && log "warning: could not remove cgroup $d (still in use?)"
	done
	return 0
}

bench_cleanup_state() {
	remove_cgroups
	# The empty mount points private_dir had to make on the host.
	local dir
	if [[ -f $RUN_DIR/made-dirs ]]; then
		while read -r dir; do
			rmdir_tree "$dir"
		done <"$RUN_DIR/made-dirs"
	fi
	# The namespace's mounts died with it; --one-file-system guards against
	# walking into anything still mounted all the same.
	rm -rf --one-file-system "$RUN_DIR" "$STATE_DIR"
}

# Make RUN_DIR and STATE_DIR (cleaning up after a run that was killed
# outright first) and set the EXIT trap that removes them.
bench_prepare_state() {
	if bench_running_elsewhere; then
		die "another benchmark is running (from another checkout?): not touching $RUN_DIR or $STATE_DIR"
	fi
	if [[ -e $RUN_DIR || -e $STATE_DIR ]]; then
		log "cleaning up after an earlier run"
		bench_cleanup_state
	fi
	trap bench_cleanup_state EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$RUN_DIR" "$STATE_DIR"
	chmod 0700 "$RUN_DIR" "$STATE_DIR"
	# podman's cgroupfs parent is fixed; note where it is new so cleanup
	# removes only what this run made.
	local d
	for d in /sys/fs/cgroup/*/; do
		[[ -e ${d}libpod_parent ]] || echo "${d}libpod_parent"
	done >"$RUN_DIR/new-cgroups"
}

# bench_unshare [--net] SCRIPT ARGS...: run SCRIPT again inside the namespace,
# with BERTH_BENCH_INNER=1. --net: in a new network namespace as well (only lo,
# down), where the engines may make bridges and NAT rules without touching the
# machine's own network (bench/ports/run).
#
# crun 1.8 refuses hybrid cgroups (v1 controllers plus the empty v2
# hierarchy at /sys/fs/cgroup/unified): "cgroups in hybrid mode not
# supported". Unmounting the v2 mount in a private mount namespace makes
# every runner see plain cgroup v1, without changing the host's mounts.
# All engines run in that namespace so they see the same cgroups.
# It is a PID namespace too, with the inner script as its init: it
# reaps the orphans podman's conmon leaves (this machine's init is slow
# to), and when it exits the kernel kills whatever is left in there, so
# no daemon outlives the run, even if the script is killed
# (--kill-child takes the namespace down with unshare).
bench_unshare() {
	local net=()
	if [[ $1 == --net ]]; then
		net=(--net)
		shift
	fi
	BERTH_BENCH_INNER=1 unshare "${net[@]}" --mount --propagation private \
		--pid --fork --kill-child --mount-proc -- "$@"
}

# --- inside the namespace -------------------------------------------------

# private_dir DIR: hide DIR behind a tmpfs in this namespace, so what the
# engines write there (outside the state dirs they are given) never reaches
# the host. A DIR that does not exist yet is made empty on the host and noted
# for bench_cleanup_state to remove.
private_dir() {
	local dir=$1 top=$1
	if [[ ! -d $dir ]]; then
		while [[ ! -e $(dirname "$top") ]]; do top=$(dirname "$top"); done
		mkdir -p "$dir"
		echo "$top" >>"$RUN_DIR/made-dirs"
	fi
	# -n (here and below): keep util-linux from writing /run/mount/utab.
	mount -n -t tmpfs -o mode=0755 berth-bench "$dir"
}

# Make this namespace the benchmark's own; see bench_unshare for why.
bench_isolate_namespace() {
	if mountpoint -q /sys/fs/cgroup/unified; then
		umount -n /sys/fs/cgroup/unified
	fi
	# Paths the engines use whatever state dirs they are given:
	# podman's shared-memory locks (/dev/shm/libpod_lock), dockerd's
	# /etc/docker/key.json and /run/docker/plugins, containerd's shim sockets
	# (/run/containerd/s) and plugin dirs (/opt/containerd), the image
	# library's blob and short-name caches (/var/lib/containers/cache,
	# /var/cache/containers), podman's auth dir (/run/containers) and crun's
	# default state dir.
	local dir
	for dir in /dev/shm /etc/docker /run/docker /run/containerd /opt/containerd \
		/var/lib/containers /var/cache/containers /run/containers /run/crun; do
		private_dir "$dir"
	done
	chmod 1777 /dev/shm
}

# The docker CLI drives both dockerd and berthd: the first on PATH (28.x in
# /usr/local/bin here), with a config dir of its own, so the user's contexts
# and plugins stay out of it. podman reads that config for registry
# credentials too, and fails if the file is missing.
bench_docker_cli() {
	DOCKER_CLI=${DOCKER_CLI:-$(command -v docker)}
	export DOCKER_CONFIG=$RUN_DIR/docker-cli
	mkdir -p "$DOCKER_CONFIG"
	echo '{}' >"$DOCKER_CONFIG/config.json"
}
