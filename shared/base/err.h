/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Errors: one value that says what failed and why, passed up explicitly.
 *
 * Contract (modelled on crun's libcrun_error_t):
 *  - Every fallible function takes `bt_err **err` as its last parameter and returns 0/-1 or a
 *    pointer/NULL. On success *err is untouched; on failure exactly one error is set.
 *  - An error has a code and a message. The code is either an errno value (1..4095) or one of
 *    the BT_E_* kinds below; callers branch on the code, people read the message.
 *  - Context is added where an error crosses a module boundary with bt_err_wrap():
 *    "run web: pull nginx: GET manifest: 401".
 *  - Messages are lower case, operation first, the object quoted.
 *  - The caller owns a set error and releases it with bt_err_free() (or bt_autoerr).
 *  - Passing err == NULL is allowed and means "I do not care": the error is dropped.
 *
 * Thread safety: a bt_err belongs to the thread that holds it; no global state.
 */
#include <stdarg.h>
#include <stddef.h>

#define BT_E_BASE 4096

enum bt_errcode {
    BT_E_INVALID = BT_E_BASE, /* bad input from the caller or the user: HTTP 400 */
    BT_E_NOT_FOUND,           /* no such object: HTTP 404 */
    BT_E_CONFLICT,            /* object exists or is in the wrong state: HTTP 409 */
    BT_E_NOT_MODIFIED,        /* nothing to do (container already started): HTTP 304 */
    BT_E_FORBIDDEN,           /* refused by policy: HTTP 403 */
    BT_E_UNAUTHORIZED,        /* missing or wrong credentials: HTTP 401 */
    BT_E_UNSUPPORTED,         /* valid request this build does not do: HTTP 501 */
    BT_E_UNAVAILABLE,         /* a peer or resource is not there right now: HTTP 503 */
    BT_E_TIMEOUT,             /* a deadline passed */
    BT_E_CANCELED,            /* the operation was interrupted on purpose */
    BT_E_CORRUPT,             /* stored or received data failed verification */
    BT_E_INTERNAL,            /* a bug or an impossible state: HTTP 500 */
};

typedef struct bt_err bt_err;

/* Set *err to a new error with `code` and a printf-style message. Always returns -1, so a
 * fallible function can `return bt_err_set(err, BT_E_INVALID, "...")`. If *err was already set
 * (a bug in the caller), the new code wins and the old message is kept as "(after: ...)". */
int bt_err_set(bt_err **err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int bt_err_setv(bt_err **err, int code, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/* Like bt_err_set() with code = errnum, appending ": <strerror(errnum)>" to the message. */
int bt_err_errno(bt_err **err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefix context to an error already set: "<context>: <old message>". The code is kept.
 * Returns -1. Does nothing (but still returns -1) when err or *err is NULL. */
int bt_err_wrap(bt_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int bt_err_code(const bt_err *e);
const char *bt_err_msg(const bt_err *e);

/* True when the error is of this kind. BT_E_NOT_FOUND also matches ENOENT, BT_E_CONFLICT
 * matches EEXIST and EBUSY, BT_E_INVALID matches EINVAL: modules below the engine report
 * errno, the API layer asks about kinds. */
int bt_err_is(const bt_err *e, int code);

/* Human name of a code: "not found", "No such file or directory", ... */
const char *bt_err_code_name(int code);

/* strerror in Go's words (syscall.Errno: "no such file or directory"), as the messages of
 * docker, runc and the docker CLI carry them. */
const char *bt_go_strerror(int errnum, char *buf, size_t len);

void bt_err_free(bt_err *e);

/* Free *err and set it to NULL (for callers that handle an error and go on). */
void bt_err_clear(bt_err **err);

/* Move an error out of *from into *to (which must be empty). */
void bt_err_move(bt_err **to, bt_err **from);

/* Print "prefix: message" to stderr and free the error. */
void bt_err_report(bt_err *e, const char *prefix);
