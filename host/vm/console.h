/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Following the guest's serial console (console.log): the stage lines its init prints
 * ("berth-stage: init", "berth-stage: network 192.168.99.100", ...; docs/design/machine.md,
 * "Stages") and the last lines for error messages.
 *
 * The file is polled (every 50 ms), not watched: it may not exist yet when the wait begins,
 * and a driver truncates it at every start; a file that shrank is read again from its start,
 * and so is a new file at the path (the old one removed or renamed over).
 * Lines end at "\n"; "\r" and other control characters are dropped from what is returned.
 * A marker matches anywhere in a line (the kernel may have written part of a line before it),
 * and the returned line starts at the marker.
 *
 * Thread safety: all functions may be called from any thread.
 */
#include <stdbool.h>

#include "shared/base/err.h"

/* What the guest's init prints when a stage fails: "berth-error: STAGE: MESSAGE". */
#define VM_CONSOLE_ERROR_MARKER "berth-error:"

struct vm_console_wait_opts {
    const char *path;   /* the console log */
    const char *marker; /* e.g. "berth-stage: init" */
    int timeout_ms;
    /* Optional: called at every poll; returning false ends the wait at once with
     * BT_E_UNAVAILABLE "the machine stopped before ..." (a VM that died will not print). */
    bool (*alive)(void *ctx);
    void *ctx;
};

/* Wait for a line holding opts->marker; *line (the caller frees) gets the line from the
 * marker on. Fails with BT_E_TIMEOUT `timed out after 60 s waiting for "berth-stage: init" on
 * the console`, or, when a line holding VM_CONSOLE_ERROR_MARKER comes first, with
 * BT_E_UNAVAILABLE `the machine reported: berth-error: disk: ...` and *line set to that line
 * (so the caller can show it). *line is NULL after the other failures. */
int vm_console_wait_full(const struct vm_console_wait_opts *opts, char **line, bt_err **err);

/* vm_console_wait_full() without a liveness check. */
int vm_console_wait(const char *path, const char *marker, int timeout_ms, char **line,
                    bt_err **err);

/* The last nlines lines of the console (fewer when it has fewer), "\n"-separated, with
 * control characters dropped; "" for an empty file. For error messages: "the last lines of
 * the console:". The caller frees. */
char *vm_console_tail(const char *path, unsigned nlines, bt_err **err);
