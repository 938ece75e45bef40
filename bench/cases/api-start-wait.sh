# shellcheck shell=bash disable=SC2034,SC2154 # cmd and desc are bench/run's
# SPDX-License-Identifier: Apache-2.0
# The engine issue's own wording of the API target: create, start and wait for a container that
# runs /bin/true, three API calls from one curl on the engine's socket; the removal of the
# previous run's container happens untimed, in hyperfine's --prepare. api-run-true times the
# removal too. crun and runc run the bundle (their run deletes their own state as well).

desc='create+start+wait through the API alone (curl on the socket), /bin/true; rm untimed'

# api_start_wait SOCK NAME: the three calls, chained with --next in a single curl
api_start_wait() {
	local sock=$1 name=$2
	printf '%s' "curl -fsS --unix-socket $sock -o /dev/null -H Content-Type:application/json \
-d '{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}' \
http://api/v1.41/containers/create?name=$name \
--next -fsS --unix-socket $sock -o /dev/null -X POST http://api/v1.41/containers/$name/start \
--next -fsS --unix-socket $sock -o /dev/null -X POST http://api/v1.41/containers/$name/wait"
}

# api_rm SOCK NAME: the removal, before each timed run
api_rm() {
	printf '%s' "curl -s --unix-socket $1 -o /dev/null -X DELETE http://api/v1.41/containers/$2?force=1"
}

cmd[berth]=$(api_start_wait "$RUN_DIR/berth.sock" bench-sw)
cmd[docker]=$(api_start_wait "$RUN_DIR/docker.sock" bench-sw)
cmd[crun]="$CRUN run --bundle $BUNDLE berth-bench-api-sw"
cmd[runc]="$RUNC run --bundle $BUNDLE berth-bench-api-sw"
prepare[berth]=$(api_rm "$RUN_DIR/berth.sock" bench-sw)
prepare[docker]=$(api_rm "$RUN_DIR/docker.sock" bench-sw)
prepare[crun]="true"
prepare[runc]="true"
