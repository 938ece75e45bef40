/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The engine's progress stream (pull, import, load, build): JSON messages one after another,
 * shown as docker's jsonmessage shows them off a terminal: "stream" text as it is, "status"
 * lines with their "id: " prefix, an "error" ends the operation with its text, and "aux" goes
 * to a callback (the image id of a build, for one).
 */
#include <jansson.h>
#include <stdio.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

struct jsonmsg {
    FILE *out; /* NULL: show nothing */
    void (*aux)(void *arg, const json_t *aux);
    void *aux_arg;
    struct bt_strbuf pending;
    char *error; /* the first "error" seen */
};

/* A cl_sink_fn: feed it the body as it comes. */
int jsonmsg_sink(void *arg, const char *data, size_t len);
/* After the body: parse what is left; -1 with the stream's error when there was one. */
int jsonmsg_finish(struct jsonmsg *m, bt_err **err);
