/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What berth reads from an engine, or from its user: the first byte picks the parser, the rest
 * is its input.
 *   0: an HTTP answer to a request (http-parser and the client's callbacks), collected;
 *   1: the same answer to a hijack (101 and the bytes after it);
 *   2: an attach/logs stream through the stdcopy demultiplexer;
 *   3: a JSON message stream (pull, load, import), drawn as on a terminal;
 *   4: a -H / DOCKER_HOST value;
 *   5: a --since/--until time.
 * Each either succeeds or fails with a message; none may touch memory it does not own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/cli/jsonmsg.h"
#include "host/cli/timespec.h"
#include "host/client/client-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int discard(void *arg, int stream, const char *p, size_t n)
{
    return 0;
}

static void answer(const uint8_t *data, size_t size, bool hijack)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    int buf = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    if (size > 200000)
        size = 200000;
    ssize_t w = write(sv[1], data, size);
    (void)w;
    close(sv[1]);
    struct cl_endpoint ep = {
            .url = (char *)"unix:///fuzz", .proto = CL_UNIX, .path = (char *)"/fuzz"};
    struct cl_client *c = cl_client_new(&ep);
    cl_client_use_conn(c, cl_conn_from_fd(sv[0]));
    bt_err *err = NULL;
    struct cl_request req = {.method = "GET", .path = "/containers/json"};
    if (hijack) {
        struct cl_stream *s = NULL;
        if (cl_hijack(c, &req, &s, &err) == 0) {
            char b[4096];
            while (cl_stream_read(s, b, sizeof(b)) > 0)
                ;
            cl_stream_free(s);
        }
    } else {
        struct cl_response resp;
        if (cl_call(c, &req, &resp, &err) >= 0)
            cl_response_clear(&resp);
    }
    bt_err_free(err);
    cl_client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t which = data[0] % 6;
    data++;
    size--;
    bt_err *err = NULL;
    switch (which) {
    case 0:
    case 1:
        answer(data, size, which == 1);
        break;
    case 2: {
        struct cl_demux d = {0};
        /* in two pieces, to cross frame boundaries */
        size_t half = size / 2;
        if (cl_demux_feed(&d, (const char *)data, half, discard, NULL, &err) == 0)
            cl_demux_feed(&d, (const char *)data + half, size - half, discard, NULL, &err);
        break;
    }
    case 3: {
        /* shown as on a terminal (cursor movement, bars) when the stream's length is odd */
        static FILE *null;
        if (!null)
            null = fopen("/dev/null", "w");
        struct jsonmsg m = {.out = size % 2 ? null : NULL,
                            .mode = JSONMSG_TERMINAL,
                            .width = (int)(size % 256),
                            .now_ns = (int64_t)size * 1000000007};
        jsonmsg_sink(&m, (const char *)data, size);
        jsonmsg_finish(&m, &err);
        break;
    }
    case 4: {
        bt_autofree char *s = bt_xstrndup((const char *)data, size);
        struct cl_endpoint ep;
        if (cl_endpoint_parse(s, size % 2, &ep, &err) == 0)
            cl_endpoint_clear(&ep);
        break;
    }
    case 5: {
        bt_autofree char *s = bt_xstrndup((const char *)data, size);
        free(berth_timestamp(s, &err));
        break;
    }
    }
    bt_err_free(err);
    return 0;
}
