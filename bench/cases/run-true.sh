# shellcheck shell=bash disable=SC2034,SC2154 # cmd and desc are bench/run's
# SPDX-License-Identifier: Apache-2.0
# Start a container that runs /bin/true and remove it: the whole
# create/start/wait/delete path, one process, no network.
# See bench/README.md ("Adding a case") for what a case file may set.

desc='run --rm a busybox container that runs /bin/true (--network none)'

cmd[berth]="$BERTH_DOCKER run --rm --pull never --network none busybox true"
cmd[docker]="$PEER_DOCKER run --rm --pull never --network none busybox true"
cmd[podman]="podman run --rm --pull never --network none busybox true"
# The bundle's process is /bin/true; `run` creates, starts, waits and deletes.
cmd[crun]="$CRUN run --bundle $BUNDLE berth-bench-run-true"
cmd[runc]="$RUNC run --bundle $BUNDLE berth-bench-run-true"
