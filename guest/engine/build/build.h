/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The classic builder (dockerd 20.10's builder/dockerfile, what `docker build` uses without
 * BuildKit): a build context and a Dockerfile into an image, one committed image per step.
 *
 *   struct build *b = build_prepare(&deps, &opts, context_tar_fd, &err);   context, Dockerfile
 *   char *id = build_exec(b, emit, ctx, &err);                              the steps
 *   build_free(b);                                                          removes the context
 *
 * build_prepare() does what dockerd does before its first output (so its errors can still be
 * HTTP errors): it unpacks the context into a private directory under the data root, reads the
 * Dockerfile, parses it and finds the --target stage. build_exec() then reports what it does
 * through emit() with the messages of dockerd's JSON stream ({"stream": ...}, {"aux": {"ID":
 * ...}}); its error is the build's ({"errorDetail": ...} is the caller's to write).
 *
 * Steps and their output follow dockerd: "Step N/M : <instruction>", config-only steps commit
 * an image without a layer and without a container, RUN runs a container from the current
 * image and commits it, COPY/ADD write into a read-write layer of the current image. The
 * cache is dockerd's: a step reuses an image whose parent is the current image and whose
 * container config (the instruction, with COPY/ADD's content hash) equals the step's.
 *
 * Thread safety: a struct build belongs to one thread; several builds may run at once.
 */
#include <jansson.h>
#include <stdbool.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

struct image_store;
struct ctr_manager;

struct build_deps {
    struct image_store *images;
    struct ctr_manager *containers;
    const char *data_root; /* the context goes under <data_root>/build/ */
};

struct build_opts {
    const char *dockerfile;   /* a path in the context; NULL or "": "Dockerfile" */
    char *const *tags;        /* -t, NULL-terminated (may be NULL) */
    const json_t *build_args; /* {"NAME": "value" or null} */
    const json_t *labels;     /* {"k": "v"}: a LABEL step appended to the last stage */
    const char *target;       /* --target, NULL or "" for the last stage */
    const char *network_mode; /* RUN containers' HostConfig.NetworkMode; NULL: default */
    bool nocache;             /* build every step anew */
    bool rm;                  /* remove intermediate containers after success */
    bool force_rm;            /* remove them always */
    bool quiet;               /* -q: no step output, the ID at the end */
};

struct build;

/* Unpack the context tar read from fd and prepare the build. Errors as dockerd's: "Cannot
 * locate specified Dockerfile: X", the parser's "dockerfile parse error on line N: ...",
 * `target stage "x" could not be found`, "invalid reference format" for a bad -t. */
struct build *build_prepare(const struct build_deps *deps, const struct build_opts *opts,
                            int context_fd, bt_err **err);

/* One message of the output stream (a JSON object, borrowed for the call). */
typedef void (*build_emit_fn)(const json_t *msg, void *ctx);

/* Run the steps; returns the final image ID ("sha256:<hex>"), tagged as asked. */
char *build_exec(struct build *b, build_emit_fn emit, void *ctx, bt_err **err);

/* Remove the context directory and free b (NULL is fine). */
void build_free(struct build *b);
BT_DEFINE_AUTOPTR(build, struct build, build_free);
