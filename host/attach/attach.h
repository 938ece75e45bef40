/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The client side of an attached container or exec, as the docker CLI's hijackedIOStreamer
 * does it: the user's stdin to the engine (through the detach-key filter with a TTY, half-
 * closed at EOF), the engine's output to stdout/stderr (demultiplexed without a TTY), the
 * terminal in raw mode while a TTY is attached, its size sent on SIGWINCH, and signals
 * forwarded to the container (--sig-proxy). One thread, poll() and signalfd.
 *
 * And the wait that `run` and `start -a` start before the container does, on a thread of its
 * own with its own connection (at_wait_*); at_wait_start returns once the engine is waiting.
 */
#include <stdbool.h>

#include "host/client/client.h"

struct at_opts {
    bool tty;
    int in_fd;  /* the user's stdin, or -1 when stdin is not attached */
    int out_fd; /* -1 when stdout is not attached */
    int err_fd; /* -1 when stderr is not attached (with a TTY everything goes to out_fd) */
    const char *detach_keys;  /* NULL: ctrl-p,ctrl-q (looked for with a TTY and stdin) */
    struct cl_client *client; /* for resize and signals, on its own connection */
    const char *id;           /* the container or exec */
    bool is_exec;
    bool sig_proxy; /* forward INT, TERM, HUP, QUIT, USR1, USR2 to the container */
    bool resize;    /* follow the terminal's size (a TTY on an output terminal) */
};

enum at_end {
    AT_END_OUTPUT = 0, /* the engine closed the stream: the process is done with its output */
    AT_END_DETACHED,   /* the user typed the detach keys */
    AT_END_INPUT,      /* stdin ended and nothing else was attached */
};

/* Run the streams until they end; returns an enum at_end or -1 with *err. */
int at_stream(struct cl_stream *s, const struct at_opts *o, bt_err **err);

/* Send the terminal's size now (the initial resize of `run -t`, `exec -t`); silent when out_fd
 * is not a terminal. */
void at_resize(struct cl_client *c, const char *id, bool is_exec, int tty_fd);

struct at_wait;

/* POST /containers/{id}/wait?condition=... on a new connection, on a thread. */
struct at_wait *at_wait_start(const struct cl_endpoint *ep, const char *id, const char *condition);
/* The status code when the wait ended (joins the thread); -1 with *err. */
int at_wait_finish(struct at_wait *w, int *status, bt_err **err);
