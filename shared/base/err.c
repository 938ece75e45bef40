/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"

struct bt_err {
    int code;
    char *msg;
};

static void replace(bt_err **err, int code, char *msg)
{
    bt_err *e = *err;
    if (e) {
        /* A second error over an unhandled first one is a bug in the caller; keep both
         * messages rather than losing the cause. */
        char *joined = bt_xasprintf("%s (after: %s)", msg, e->msg);
        free(msg);
        free(e->msg);
        e->msg = joined;
        e->code = code;
        return;
    }
    e = bt_xmalloc(sizeof(*e));
    e->code = code;
    e->msg = msg;
    *err = e;
}

int bt_err_setv(bt_err **err, int code, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    replace(err, code, bt_xvasprintf(fmt, ap));
    return -1;
}

int bt_err_set(bt_err **err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bt_err_setv(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

int bt_err_errno(bt_err **err, int errnum, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *head = bt_xvasprintf(fmt, ap);
    va_end(ap);
    replace(err, errnum, bt_xasprintf("%s: %s", head, strerror(errnum)));
    free(head);
    return -1;
}

int bt_err_wrap(bt_err **err, const char *fmt, ...)
{
    if (!err || !*err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *ctx = bt_xvasprintf(fmt, ap);
    va_end(ap);
    char *msg = bt_xasprintf("%s: %s", ctx, (*err)->msg);
    free(ctx);
    free((*err)->msg);
    (*err)->msg = msg;
    return -1;
}

int bt_err_code(const bt_err *e)
{
    return e ? e->code : 0;
}

const char *bt_err_msg(const bt_err *e)
{
    return e ? e->msg : "";
}

int bt_err_is(const bt_err *e, int code)
{
    if (!e)
        return 0;
    if (e->code == code)
        return 1;
    switch (code) {
    case BT_E_NOT_FOUND:
        return e->code == ENOENT;
    case BT_E_CONFLICT:
        return e->code == EEXIST || e->code == EBUSY;
    case BT_E_INVALID:
        return e->code == EINVAL;
    case BT_E_TIMEOUT:
        return e->code == ETIMEDOUT;
    case BT_E_FORBIDDEN:
        return e->code == EPERM || e->code == EACCES;
    default:
        return 0;
    }
}

const char *bt_err_code_name(int code)
{
    static const char *const names[] = {
            [BT_E_INVALID - BT_E_BASE] = "invalid argument",
            [BT_E_NOT_FOUND - BT_E_BASE] = "not found",
            [BT_E_CONFLICT - BT_E_BASE] = "conflict",
            [BT_E_NOT_MODIFIED - BT_E_BASE] = "not modified",
            [BT_E_FORBIDDEN - BT_E_BASE] = "forbidden",
            [BT_E_UNAUTHORIZED - BT_E_BASE] = "unauthorized",
            [BT_E_UNSUPPORTED - BT_E_BASE] = "not supported",
            [BT_E_UNAVAILABLE - BT_E_BASE] = "unavailable",
            [BT_E_TIMEOUT - BT_E_BASE] = "timed out",
            [BT_E_CANCELED - BT_E_BASE] = "canceled",
            [BT_E_CORRUPT - BT_E_BASE] = "corrupt data",
            [BT_E_INTERNAL - BT_E_BASE] = "internal error",
    };
    if (code >= BT_E_BASE && code <= BT_E_INTERNAL)
        return names[code - BT_E_BASE];
    if (code > 0 && code < BT_E_BASE)
        return strerror(code);
    return "unknown error";
}

void bt_err_free(bt_err *e)
{
    if (!e)
        return;
    free(e->msg);
    free(e);
}

void bt_err_clear(bt_err **err)
{
    if (!err)
        return;
    bt_err_free(*err);
    *err = NULL;
}

void bt_err_move(bt_err **to, bt_err **from)
{
    if (!from || !*from)
        return;
    if (!to) {
        bt_err_clear(from);
        return;
    }
    if (*to)
        bt_err_free(*to);
    *to = *from;
    *from = NULL;
}

void bt_err_report(bt_err *e, const char *prefix)
{
    if (!e)
        return;
    if (prefix)
        fprintf(stderr, "%s: %s\n", prefix, e->msg);
    else
        fprintf(stderr, "%s\n", e->msg);
    bt_err_free(e);
}

const char *bt_go_strerror(int errnum, char *buf, size_t len)
{
    snprintf(buf, len, "%s", strerror(errnum));
    /* glibc capitalises ("No such file or directory"); Go's syscall.Errno does not */
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}
