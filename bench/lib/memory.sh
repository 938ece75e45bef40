# shellcheck shell=bash disable=SC2154 # DAEMON_PIDS, RUN_DIR, DOCKER_CLI are bench/run's
# SPDX-License-Identifier: Apache-2.0
# bench/lib/memory.sh: resident memory of the engines, idle and per container. Sourced by
# bench/run in its namespace after the timed cases; prints a markdown table.
#
# rss PID: VmRSS in kB (0 when gone)
rss() {
	local v
	v=$(awk '/^VmRSS:/ {print $2; exit}' "/proc/$1/status" 2>/dev/null) || true
	echo "${v:-0}"
}

# children PID NAME: pids of processes named NAME whose parent is PID
children_named() {
	local parent=$1 name=$2 p
	for p in /proc/[0-9]*; do
		[[ $(cat "$p/comm" 2>/dev/null) == "$name" ]] || continue
		[[ $(awk '/^PPid:/ {print $2}' "$p/status" 2>/dev/null) == "$parent" ]] || continue
		echo "${p#/proc/}"
	done
	return 0
}

# pids_named NAME: every process named NAME (the comm, 15 chars at most)
pids_named() {
	local p
	for p in /proc/[0-9]*; do
		if [[ $(cat "$p/comm" 2>/dev/null) == "$1" ]]; then
			echo "${p#/proc/}"
		fi
	done
	return 0
}

sum_rss() {
	local t=0 p
	for p in "$@"; do t=$((t + $(rss "$p"))); done
	echo "$t"
}

bench_memory_report() {
	local out=$1 berthd=${DAEMON_PIDS[berthd]:-} dockerd=${DAEMON_PIDS[dockerd]:-}
	local b_idle="" d_idle="" b_mon="" d_shim="" p_conmon=""
	if [[ -n $berthd ]] && [[ -z ${SKIP[berth]:-} ]]; then
		b_idle=$(rss "$berthd")
		$DOCKER_CLI -H "unix://$RUN_DIR/berth.sock" run -d --name bench-mem --network none busybox sleep 60 >/dev/null
		sleep 1
		local mon
		mon=$(pids_named berth-monitor | head -n 1)
		b_mon=$(rss "${mon:-0}")
		$DOCKER_CLI -H "unix://$RUN_DIR/berth.sock" rm -f bench-mem >/dev/null
	fi
	if [[ -n $dockerd ]]; then
		local containerd
		containerd=$(children_named "$dockerd" containerd | head -n 1)
		d_idle=$(sum_rss "$dockerd" "$containerd")
		$DOCKER_CLI -H "unix://$RUN_DIR/docker.sock" run -d --name bench-mem --network none busybox sleep 60 >/dev/null
		sleep 1
		local shim
		shim=$(pids_named containerd-shim | head -n 1)
		[[ -n $shim ]] || shim=$(pids_named containerd-shim-runc-v2 | head -n 1)
		d_shim=$(rss "${shim:-0}")
		$DOCKER_CLI -H "unix://$RUN_DIR/docker.sock" rm -f bench-mem >/dev/null
	fi
	if podman run -d --name bench-mem --network none busybox sleep 60 >/dev/null 2>&1; then
		sleep 1
		p_conmon=$(rss "$(pids_named conmon | head -n 1)")
		podman rm -f bench-mem >/dev/null 2>&1 || true
	fi
	{
		echo
		echo "| memory (RSS) | berth | docker | podman |"
		echo "|---|--:|--:|--:|"
		echo "| engine, idle after the cases | ${b_idle:-skipped} kB (berthd) | ${d_idle:-?} kB (dockerd + containerd) | no daemon |"
		echo "| per running container | ${b_mon:-skipped} kB (berth-monitor) | ${d_shim:-?} kB (containerd-shim) | ${p_conmon:-?} kB (conmon) |"
	} | tee -a "$out"
}
