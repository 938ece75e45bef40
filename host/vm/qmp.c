/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A QMP client (QEMU's machine protocol, docs/interop/qmp-spec in QEMU): JSON objects, one per
 * line, over QEMU's unix socket. The server greets ({"QMP": ...}), the client negotiates with
 * qmp_capabilities, then each {"execute": ...} gets {"return": ...} or {"error": {"class",
 * "desc"}}; asynchronous {"event": ...} lines may come in between and are skipped. QEMU serves
 * one client at a time: connections are short (one command or two) and closed at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* A reply longer than this is not one QEMU sends for our commands. */
#define MAX_LINE (1024 * 1024)

struct vm_qmp {
    int fd;
    struct bt_strbuf in; /* bytes read and not yet taken as lines */
    char *path;
};

char *vm_qmp_message(const char *command, json_t *args)
{
    bt_autoptr(json_t) msg = json_object();
    json_object_set_new(msg, "execute", json_string(command));
    if (args)
        json_object_set(msg, "arguments", args);
    char *text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *line = bt_xasprintf("%s\r\n", text);
    free(text);
    return line;
}

int vm_qmp_parse_reply(const char *line, json_t **ret, bt_err **err)
{
    bt_autoerr bt_err *perr = NULL;
    bt_autoptr(json_t) msg = bt_json_parse_object(line, strlen(line), &perr);
    if (!msg)
        return bt_err_set(err, BT_E_CORRUPT, "QMP: not a QMP message: %s", bt_err_msg(perr));
    if (json_object_get(msg, "event") || json_object_get(msg, "QMP"))
        return 1;
    json_t *r = json_object_get(msg, "return");
    if (r) {
        if (ret)
            *ret = json_incref(r);
        return 0;
    }
    json_t *e = json_object_get(msg, "error");
    if (json_is_object(e))
        return bt_err_set(err, BT_E_INTERNAL, "QMP: %s: %s", bt_json_get_str(e, "class", "Error"),
                          bt_json_get_str(e, "desc", "(no description)"));
    return bt_err_set(err, BT_E_CORRUPT, "QMP: a message that is neither a return nor an error");
}

void vm_qmp_close(struct vm_qmp *q)
{
    if (!q)
        return;
    bt_fd_close(q->fd);
    bt_strbuf_free(&q->in);
    free(q->path);
    free(q);
}
BT_DEFINE_AUTOPTR(vm_qmp, struct vm_qmp, vm_qmp_close);

/* The next line from QEMU (the caller frees), waiting until deadline. */
static char *read_line(struct vm_qmp *q, long long deadline, bt_err **err)
{
    for (;;) {
        const char *buf = q->in.len ? q->in.buf : "";
        const char *nl = memchr(buf, '\n', q->in.len);
        if (nl) {
            size_t n = (size_t)(nl - buf);
            char *line = bt_xstrndup(buf, n);
            size_t rest = q->in.len - n - 1;
            memmove(q->in.buf, nl + 1, rest);
            bt_strbuf_truncate(&q->in, rest);
            return line;
        }
        if (q->in.len > MAX_LINE) {
            bt_err_set(err, BT_E_CORRUPT, "QMP at \"%s\": a line of more than %d bytes", q->path,
                       MAX_LINE);
            return NULL;
        }
        long long left = deadline - vm_now_ms();
        struct pollfd p = {q->fd, POLLIN, 0};
        int r = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            bt_err_errno(err, errno, "QMP at \"%s\": poll", q->path);
            return NULL;
        }
        if (r == 0) {
            bt_err_set(err, BT_E_TIMEOUT, "QMP at \"%s\": no answer in time", q->path);
            return NULL;
        }
        char *dst = bt_strbuf_reserve(&q->in, 4096);
        ssize_t n = read(q->fd, dst, 4096);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            bt_err_errno(err, errno, "QMP at \"%s\": read", q->path);
            return NULL;
        }
        if (n == 0) {
            bt_err_set(err, BT_E_UNAVAILABLE, "QMP at \"%s\": QEMU closed the connection", q->path);
            return NULL;
        }
        bt_strbuf_commit(&q->in, (size_t)n);
    }
}

/* Lines until a return or an error, skipping events. */
static int read_reply(struct vm_qmp *q, json_t **ret, long long deadline, bt_err **err)
{
    for (;;) {
        bt_autofree char *line = read_line(q, deadline, err);
        if (!line)
            return -1;
        int r = vm_qmp_parse_reply(line, ret, err);
        if (r <= 0)
            return r;
    }
}

/* send(MSG_NOSIGNAL): QEMU may be gone (quit, a guest poweroff) and must not SIGPIPE us. */
static int send_all(struct vm_qmp *q, const char *msg, bt_err **err)
{
    size_t len = strlen(msg), done = 0;
    while (done < len) {
        ssize_t n = send(q->fd, msg + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return bt_err_errno(err, errno, "QMP at \"%s\": send", q->path);
        done += (size_t)n;
    }
    return 0;
}

int vm_qmp_execute(struct vm_qmp *q, const char *command, json_t *args, json_t **ret,
                   int timeout_ms, bt_err **err)
{
    bt_autofree char *msg = vm_qmp_message(command, args);
    if (send_all(q, msg, err) < 0)
        return bt_err_wrap(err, "QMP %s", command);
    if (read_reply(q, ret, vm_now_ms() + timeout_ms, err) < 0)
        return bt_err_wrap(err, "QMP %s", command);
    return 0;
}

struct vm_qmp *vm_qmp_connect(const char *path, int timeout_ms, bt_err **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        bt_err_set(err, BT_E_INVALID, "QMP socket path \"%s\" is longer than %zu bytes", path,
                   sizeof(sa.sun_path) - 1);
        return NULL;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    bt_autoptr(vm_qmp) q = bt_xzalloc(sizeof(*q));
    q->path = bt_xstrdup(path);
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0) {
        bt_err_errno(err, errno, "QMP socket");
        return NULL;
    }
    if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        bt_err_errno(err, errno, "connect to QMP at \"%s\"", path);
        return NULL;
    }
    long long deadline = vm_now_ms() + timeout_ms;
    /* the greeting */
    bt_autofree char *greeting = read_line(q, deadline, err);
    if (!greeting)
        return NULL;
    bt_autoptr(json_t) g = bt_json_parse_object(greeting, strlen(greeting), NULL);
    if (!g || !json_object_get(g, "QMP")) {
        bt_err_set(err, BT_E_CORRUPT, "QMP at \"%s\": no greeting", path);
        return NULL;
    }
    if (vm_qmp_execute(q, "qmp_capabilities", NULL, NULL, (int)(deadline - vm_now_ms()), err) < 0)
        return NULL;
    return bt_steal_ptr(&q);
}
