# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# The build cases' context, made in $STATE_DIR (removed after the run): the 7-step Dockerfile
# of tests/e2e/test_build.py (SEVEN) and the file it copies. Sets BUILD_CTX.

BUILD_CTX=$STATE_DIR/build-ctx
mkdir -p "$BUILD_CTX"
cat >"$BUILD_CTX/Dockerfile" <<'DF'
FROM busybox
ENV GREETING=hello
WORKDIR /app
COPY hello.txt .
RUN echo "$GREETING from run" > /app/run.txt
RUN for i in $(seq 1 1000); do echo $i > /app/f$i; done
CMD ["cat", "/app/hello.txt"]
DF
echo hello >"$BUILD_CTX/hello.txt"
