# shellcheck shell=bash disable=SC2154 # SKIP is bench/run's associative array
# SPDX-License-Identifier: Apache-2.0
# bench/lib/peers.sh: start, feed and stop the engines bench/run times.
# Sourced by bench/run in the private mount namespace (see bench/README.md);
# expects RUN_DIR, STATE_DIR, ROOTFS_TAR, DOCKER_CLI, log() and the
# associative array SKIP (runner -> why it is not timed).
#
# Every daemon is started in the background with its PID kept in DAEMON_PIDS,
# and stopped by that PID alone: bench_stop_daemons, from bench/run's trap.

declare -gA DAEMON_PIDS=()

# True while PID exists and is not a zombie (our own dead children stay
# zombies until waited for, and `kill -0` still succeeds on those).
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# stop_pid PID NAME: SIGTERM, up to 20 s of grace, then SIGKILL; reaps it.
stop_pid() {
	local pid=$1 name=$2 i
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			alive "$pid" || break
			sleep 0.2
		done
		if alive "$pid"; then
			log "$name (pid $pid) still up 20 s after SIGTERM; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# Stop the daemons in the reverse order of their start.
bench_stop_daemons() {
	local name
	for name in berthd dockerd; do
		if [[ -n ${DAEMON_PIDS[$name]:-} ]]; then
			log "stopping $name (pid ${DAEMON_PIDS[$name]})"
			stop_pid "${DAEMON_PIDS[$name]}" "$name"
			unset "DAEMON_PIDS[$name]"
		fi
	done
}

# wait_ping SOCK PID SECONDS: poll GET /_ping on SOCK until it answers OK,
# PID dies, or SECONDS pass.
wait_ping() {
	local sock=$1 pid=$2 secs=$3 i
	for ((i = 0; i < secs * 5; i++)); do
		if [[ -S $sock ]] && [[ $(curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null) == OK ]]; then
			return 0
		fi
		alive "$pid" || return 1
		sleep 0.2
	done
	return 1
}

# The last lines of a daemon's log, on one line, for a skip reason.
log_tail() {
	tail -n 3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300 | sed 's/[[:space:]]*$//'
}

# bench_buildkit_cli: sets BUILDKIT_CLI to Debian's docker CLI (docker.io, 20.10), whose
# built-in BuildKit client (DOCKER_BUILDKIT=1, no buildx plugin needed) drives the BuildKit
# inside the bench's dockerd: the "buildkit" peer of the build cases. The docker CLI 28 first
# on PATH has no BuildKit of its own without buildx.
bench_buildkit_cli() {
	BUILDKIT_CLI=/usr/bin/docker
	if [[ -n ${SKIP[docker]:-} ]]; then
		SKIP[buildkit]="no dockerd: ${SKIP[docker]}"
	elif ! [[ -x $BUILDKIT_CLI ]] || [[ $("$BUILDKIT_CLI" --version) != "Docker version 20.10."* ]]; then
		SKIP[buildkit]="$BUILDKIT_CLI is not Debian's docker CLI 20.10 (the one with BuildKit built in)"
	fi
	[[ -z ${SKIP[buildkit]:-} ]] || log "buildkit: ${SKIP[buildkit]}"
}

# bench_start_dockerd [NETWORK_ARGS...]: Debian's dockerd with its own managed
# containerd, socket and state. By default no bridge, no iptables, no
# ip_forward: it changes nothing on the host's network. NETWORK_ARGS replace
# those, for a run in a network namespace of its own (bench/ports/run).
# shellcheck disable=SC2120 # the arguments are optional
bench_start_dockerd() {
	local net=(--bridge=none --iptables=false --ip-forward=false --ip-masq=false)
	(($#)) && net=("$@")
	local dir=$RUN_DIR/docker
	mkdir -p "$dir" "$STATE_DIR/docker"
	echo '{}' >"$STATE_DIR/docker/daemon.json"
	log "starting dockerd ($(dockerd --version))"
	# 9<&-: don't hand bench/run's lock to the daemons.
	dockerd \
		--config-file "$STATE_DIR/docker/daemon.json" \
		--data-root "$STATE_DIR/docker/root" \
		--exec-root "$dir/exec" \
		--pidfile "$dir/dockerd.pid" \
		-H "unix://$RUN_DIR/docker.sock" \
		"${net[@]}" \
		--storage-driver=overlay2 \
		--exec-opt native.cgroupdriver=cgroupfs \
		--cgroup-parent=/berth-bench/docker \
		--log-level=warn \
		</dev/null >"$dir/dockerd.log" 2>&1 9<&- &
	DAEMON_PIDS[dockerd]=$!
	if ! wait_ping "$RUN_DIR/docker.sock" "${DAEMON_PIDS[dockerd]}" 60; then
		SKIP[docker]="dockerd did not come up: $(log_tail "$dir/dockerd.log")"
		log "${SKIP[docker]}"
		return 0
	fi
	if ! "$DOCKER_CLI" -H "unix://$RUN_DIR/docker.sock" import "$ROOTFS_TAR" busybox >/dev/null 2>"$dir/import.err"; then
		SKIP[docker]="docker import failed: $(log_tail "$dir/import.err")"
		log "${SKIP[docker]}"
	fi
}

# Rootful podman with its own storage, run dir and configuration, through
# the environment (so the timed command lines stay `podman run ...`):
# cgroupfs and file events since there is no systemd or journald here, and no
# search registries, so a short name can never turn into a pull.
#
# static_dir (the container database) stays at its default under graphroot:
# conmon's exit command, `podman container cleanup`, is handed --root but not
# the static dir, so with it set elsewhere cleanup looks in another database,
# the container never reaches "exited", and every `podman run` sits out its
# 20 s conmon timeout.
#
# Rootful podman raises nofile and nproc in its containers (to 1048576 and
# 4194304), which needs CAP_SYS_RESOURCE, and this sandbox's root lacks it
# ("crun: setrlimit RLIMIT_NOFILE: Operation not permitted"). So its
# containers get our own nofile, as dockerd's inherit it, and an nproc of at
# most 32768: podman lowers its own RLIMIT_NPROC to that when it starts (seen
# with strace), and without the capability crun cannot go above it.
bench_setup_podman() {
	local dir=$STATE_DIR/podman run=$RUN_DIR/podman
	local nproc
	nproc=$(ulimit -Hu)
	[[ $nproc != unlimited ]] && ((nproc <= 32768)) || nproc=32768
	mkdir -p "$dir/tmp" "$run/tmp"
	cat >"$dir/containers.conf" <<-EOF
		[containers]
		default_ulimits = [
		  "nofile=$(ulimit -Sn):$(ulimit -Hn)",
		  "nproc=$nproc:$nproc",
		]

		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		runtime = "crun"
		tmp_dir = "$run/tmp"
		image_copy_tmp_dir = "$dir/tmp"

		[network]
		network_config_dir = "$dir/networks"
	EOF
	cat >"$dir/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$dir/storage"
		runroot = "$run/storage"
	EOF
	cat >"$dir/registries.conf" <<-EOF
		unqualified-search-registries = []
		short-name-mode = "disabled"
	EOF
	export CONTAINERS_CONF=$dir/containers.conf
	export CONTAINERS_STORAGE_CONF=$dir/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$dir/registries.conf
	log "setting up podman ($(podman --version))"
	if ! podman import "$ROOTFS_TAR" busybox >/dev/null 2>"$run/import.err"; then
		SKIP[podman]="podman import failed: $(log_tail "$run/import.err")"
		log "${SKIP[podman]}"
	fi
}

# An OCI bundle for crun and runc: the rootfs plus `runc spec`'s config with
# no terminal, /bin/true as the process, and a cgroup under /berth-bench so
# cleanup knows which cgroups are ours.
bench_make_bundle() {
	local b=$STATE_DIR/bundle
	mkdir -p "$b/rootfs"
	tar --numeric-owner -C "$b/rootfs" -xf "$ROOTFS_TAR"
	runc spec --bundle "$b"
	/usr/bin/python3 - "$b/config.json" <<-'EOF'
		import json, sys
		path = sys.argv[1]
		with open(path) as f:
		    config = json.load(f)
		config["process"]["terminal"] = False
		config["process"]["args"] = ["/bin/true"]
		config["linux"]["cgroupsPath"] = "/berth-bench/oci"
		with open(path, "w") as f:
		    json.dump(config, f, indent=2)
	EOF
	mkdir -p "$RUN_DIR/crun" "$RUN_DIR/runc"
}

# bench_start_berthd [NETWORK_ARGS...]: berthd, started the way the docker
# peer is: by default with --bridge none, as dockerd's --bridge=none above: the
# benchmarks run in the machine's own network namespace, where neither engine
# may make bridges or rules. NETWORK_ARGS replace that, for a run in a network
# namespace of its own (bench/ports/run). Any step that fails (not built yet,
# does not serve /_ping, cannot import) skips Berth's column with why.
# shellcheck disable=SC2120 # the arguments are optional
bench_start_berthd() {
	local net=(--bridge none)
	(($#)) && net=("$@")
	local berthd=${BERTHD:-$REPO_DIR/build/bin/berthd} dir=$RUN_DIR/berth
	if [[ ! -x $berthd ]]; then
		SKIP[berth]="no ${berthd#"$REPO_DIR"/} (build Berth first)"
		log "berth: ${SKIP[berth]}"
		return 0
	fi
	mkdir -p "$dir" "$STATE_DIR/berth"
	log "starting berthd ($berthd)"
	"$berthd" \
		--data-root "$STATE_DIR/berth/root" \
		--exec-root "$dir/exec" \
		--pidfile "$dir/berthd.pid" \
		-H "unix://$RUN_DIR/berth.sock" \
		"${net[@]}" \
		</dev/null >"$dir/berthd.log" 2>&1 9<&- &
	DAEMON_PIDS[berthd]=$!
	if ! wait_ping "$RUN_DIR/berth.sock" "${DAEMON_PIDS[berthd]}" 30; then
		SKIP[berth]="berthd did not serve /_ping: $(log_tail "$dir/berthd.log")"
		log "berth: ${SKIP[berth]}"
		return 0
	fi
	if ! "$DOCKER_CLI" -H "unix://$RUN_DIR/berth.sock" import "$ROOTFS_TAR" busybox >/dev/null 2>"$dir/import.err"; then
		SKIP[berth]="docker import into berthd failed: $(log_tail "$dir/import.err")"
		log "berth: ${SKIP[berth]}"
	fi
}
