# shellcheck shell=bash disable=SC2034,SC2154 # cmd and desc are bench/run's
# SPDX-License-Identifier: Apache-2.0
# The engine issue's build target: the 7-step Dockerfile of tests/e2e/test_build.py (SEVEN) on
# busybox, built with --no-cache: every step runs (two RUNs, a COPY, four config steps). The
# docker CLI has no buildx here, so it takes the classic builder (POST /build) on both berthd
# and dockerd; podman build is buildah. --network none everywhere: the bench's dockerd has no
# bridge, and no step needs a network.

desc='docker build of the 7-step Dockerfile with --no-cache (classic builder; buildkit: dockerd 20.10'\''s BuildKit; podman: buildah)'

# shellcheck source=/dev/null
source "$BENCH_DIR/lib/build-context.sh"

cmd[berth]="env DOCKER_BUILDKIT=0 $BERTH_DOCKER build -q --no-cache --network none -t bench-build $BUILD_CTX"
cmd[docker]="env DOCKER_BUILDKIT=0 $PEER_DOCKER build -q --no-cache --network none -t bench-build $BUILD_CTX"
cmd[buildkit]="env DOCKER_BUILDKIT=1 $BUILDKIT_DOCKER build -q --no-cache --network none -t bench-build-bk $BUILD_CTX"
cmd[podman]="podman build -q --no-cache --network none -t bench-build $BUILD_CTX"

# Each timed build starts with the disk flushed (not timed): otherwise a build pays for the
# writeback of the files its predecessors wrote (1,000 per cold build), and the first runner
# timed for the deletions of the bench's earlier run, which this file system discards.
prepare[berth]=sync
prepare[docker]=sync
prepare[buildkit]=sync
prepare[podman]=sync
