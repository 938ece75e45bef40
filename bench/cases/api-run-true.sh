# shellcheck shell=bash disable=SC2034,SC2154 # cmd and desc are bench/run's
# SPDX-License-Identifier: Apache-2.0
# The engine alone, without the docker CLI: create, start, wait and delete a container that
# runs /bin/true with four API calls from one curl process on the engine's socket (one
# keep-alive connection), against `crun run` and `runc run` doing the same to a bundle.

desc='create+start+wait+delete through the API alone (curl on the socket), /bin/true'

# api_run SOCK NAME: the four calls, chained with --next in a single curl
api_run() {
	local sock=$1 name=$2
	printf '%s' "curl -fsS --unix-socket $sock -o /dev/null -H Content-Type:application/json \
-d '{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}' \
http://api/v1.41/containers/create?name=$name \
--next -fsS --unix-socket $sock -o /dev/null -X POST http://api/v1.41/containers/$name/start \
--next -fsS --unix-socket $sock -o /dev/null -X POST http://api/v1.41/containers/$name/wait \
--next -fsS --unix-socket $sock -o /dev/null -X DELETE http://api/v1.41/containers/$name"
}

cmd[berth]=$(api_run "$RUN_DIR/berth.sock" bench-api)
cmd[docker]=$(api_run "$RUN_DIR/docker.sock" bench-api)
cmd[crun]="$CRUN run --bundle $BUNDLE berth-bench-api-true"
cmd[runc]="$RUNC run --bundle $BUNDLE berth-bench-api-true"
# a run that failed half-way must not leave the name taken
prepare[berth]="curl -s --unix-socket $RUN_DIR/berth.sock -o /dev/null -X DELETE http://api/v1.41/containers/bench-api?force=1"
prepare[docker]="curl -s --unix-socket $RUN_DIR/docker.sock -o /dev/null -X DELETE http://api/v1.41/containers/bench-api?force=1"
prepare[crun]="true"
prepare[runc]="true"
