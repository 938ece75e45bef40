/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The engine's progress stream (pull, push, import, load, build): JSON messages one after
 * another, shown as the docker CLI's jsonmessage.DisplayJSONMessagesStream shows them.
 *
 * Off a terminal: "stream" text as it is, "status" lines with their "id: " prefix, progress
 * bars left out. On a terminal: each layer id that reports progress gets a line of its own,
 * rewritten in place (cursor up, erase the line, the status and its bar, cursor down), bars as
 * "[=====>     ]  1.2MB/3.4MB 5s" (the bar on terminals wider than 110 columns, the time left
 * on ones wider than 50). An "errorDetail" ends the display with its message as the
 * operation's error; "aux" goes to a callback (a build's image id, a push's digest).
 *
 * Not thread-safe; one struct per stream. Zero-initialise, set the public fields, feed
 * jsonmsg_sink(), end with jsonmsg_finish().
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

enum jsonmsg_mode {
    JSONMSG_AUTO,     /* a terminal when out is one (isatty), as docker's streams.Out */
    JSONMSG_PLAIN,    /* never */
    JSONMSG_TERMINAL, /* always (tests) */
};

struct jsonmsg {
    FILE *out; /* NULL: show nothing (errors and aux still count) */
    void (*aux)(void *arg, const json_t *aux);
    void *aux_arg;
    enum jsonmsg_mode mode;
    int width;      /* columns for the bars; 0: the terminal's, 200 when it has none (docker) */
    int64_t now_ns; /* the clock for the time left; 0: the real one */
    /* the rest is jsonmsg's own */
    struct bt_strbuf pending;
    char *error; /* the "errorDetail" that ended the display */
    bool done;   /* an error was seen: the rest of the stream is not shown */
    bool decided;
    bool terminal;
    json_t *lines; /* id -> its line, counted from the first progress line (docker's ids) */
};

/* A cl_sink_fn: feed it the body as it comes. */
int jsonmsg_sink(void *arg, const char *data, size_t len);
/* After the body: parse what is left; -1 with the stream's error when there was one. */
int jsonmsg_finish(struct jsonmsg *m, bt_err **err);

/* jsonmessage.JSONProgress: progressDetail's members. */
struct jsonmsg_progress {
    int64_t current, total, start;
    bool hide_counts;
    const char *units; /* NULL or "": bytes */
};

/* JSONProgress.String(): "" when neither current nor total is positive; a size (or "N units")
 * without a total; else the bar (width > 110), "current/total" and the time left (width > 50,
 * with a start time, now_ns the time). Appends to out. */
void jsonmsg_progress_string(const struct jsonmsg_progress *p, int width, int64_t now_ns,
                             struct bt_strbuf *out);
