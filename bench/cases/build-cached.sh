# shellcheck shell=bash disable=SC2034,SC2154 # cmd and desc are bench/run's
# SPDX-License-Identifier: Apache-2.0
# The same 7-step build as build-cold, fully cached: bench/run's check run (and the warm-up)
# fill the cache, so every timed run finds each step's image and ends on the same image ID.
# podman build keeps its layer cache by default (--layers).

desc='docker build of the 7-step Dockerfile, every step cached (classic builder; buildkit: dockerd 20.10'\''s BuildKit; podman: buildah)'

# shellcheck source=/dev/null
source "$BENCH_DIR/lib/build-context.sh"

cmd[berth]="env DOCKER_BUILDKIT=0 $BERTH_DOCKER build -q --network none -t bench-build $BUILD_CTX"
cmd[docker]="env DOCKER_BUILDKIT=0 $PEER_DOCKER build -q --network none -t bench-build $BUILD_CTX"
cmd[buildkit]="env DOCKER_BUILDKIT=1 $BUILDKIT_DOCKER build -q --network none -t bench-build-bk $BUILD_CTX"
cmd[podman]="podman build -q --layers --network none -t bench-build $BUILD_CTX"

# Each timed build starts with the disk flushed (not timed): otherwise a build pays for the
# writeback of the files its predecessors wrote (1,000 per cold build), and the first runner
# timed for the deletions of the bench's earlier run, which this file system discards.
prepare[berth]=sync
prepare[docker]=sync
prepare[buildkit]=sync
prepare[podman]=sync
