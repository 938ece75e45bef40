/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * berth build's client side, as the docker CLI 28 does the classic builder's `POST /build`
 * (cli/command/image/build.go, build/context.go): the query, the context directory resolved
 * and walked with .dockerignore applied (shared/dockerfile/ignore.h), and the tar of it made
 * in lib/berth/build-context.so (libarchive, loaded on use, as berth cp's copy-archive.so).
 *
 * Messages are the docker CLI's; the caller adds "unable to prepare context: " where docker
 * does. Everything returned is the caller's to free. Not thread-safe beyond that.
 */
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

struct build_query_opts {
    char **tags;       /* -t, in order */
    char **build_args; /* "k=v", or "k" alone (sent as null) */
    char **labels;     /* "k=v", or "k" alone (sent as "") */
    char **cache_from;
    const char *dockerfile; /* the context-relative name, NULL or "" to send none */
    const char *target, *network, *platform;
    bool no_cache, rm, force_rm, quiet, pull;
};

/* "/build?..." with docker's parameters, encoded as Go's url.Values.Encode() does (keys
 * sorted, repeated "t", QueryEscape). */
void build_query(const struct build_query_opts *o, struct bt_strbuf *out);

/* --build-arg's check (opts.ValidateEnv): a "k" alone takes k's value from the environment
 * when it is set. Returns the value to keep (new string) or NULL with BT_E_INVALID. */
char *build_arg_validate(const char *arg, bt_err **err);
/* --label's check (opts.ValidateLabel). */
int build_label_validate(const char *arg, bt_err **err);

struct build_context {
    char *dir;        /* absolute, symlinks resolved */
    char *dockerfile; /* relative to dir, "/"-separated; "-" for stdin */
    bool outside;     /* the Dockerfile is outside dir: the caller sends it under a random name */
    char **members;   /* what goes into the tar, in docker's order (NULL-terminated) */
};

/* GetContextFromLocalDir + ReadDockerignore + TrimBuildFilesFromExcludes + the walk of
 * TarWithOptions: dockerfile is -f's value (NULL: PATH/Dockerfile, "-": stdin); a relative -f
 * is taken from the working directory, as docker does. On failure *err holds docker's text
 * without its "unable to prepare context: " prefix; *context_err tells whether that prefix
 * applies (else the error is a .dockerignore or "error checking context" one, complete). */
int build_context_prepare(const char *path, const char *dockerfile, struct build_context *bc,
                          bool *context_err, bt_err **err);
void build_context_clear(struct build_context *bc);

/* The walk alone: the members of dir not excluded by the .dockerignore text ignore (with
 * docker's additions for the Dockerfile named dockerfile, NULL when it comes from stdin), in
 * go-archive's order: pre-order, names in byte order, an excluded directory left out but
 * walked when an exception names something below it. */
char **build_context_walk(const char *dir, const char *ignore, size_t ignore_len,
                          const char *dockerfile, bt_err **err);

/* Whether the first bytes of a stdin context are an archive (compressed, or a tar header
 * with a good checksum): docker's build.IsArchive. */
bool build_is_archive(const unsigned char *buf, size_t len);

/* What lib/berth/build-context.so writes to fd: the members of dir (owners 0:0, symlinks
 * stored), then the extra file when extra_name is set (mode 0600, now); with ignore_append
 * the .dockerignore sent gets "\n<extra_name>\n" appended, or is created holding
 * ".dockerignore\n<extra_name>\n" (AddDockerfileToBuildContext). */
struct build_archive_src {
    const char *dir;
    char *const *members;
    const char *extra_name;
    const void *extra_data;
    size_t extra_len;
    unsigned extra_mode;
    bool ignore_append;
    bool gzip; /* --compress */
};
int build_context_pack(int fd, const struct build_archive_src *src, bt_err **err);
