/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * `berth cp`: copying between a container and the local file system through the engine's
 * /containers/{id}/archive, with the docker CLI's semantics and words (cli/command/container/
 * cp.go and moby's pkg/archive copy.go): what a trailing "/" or "/." means, when the copied
 * entry takes the destination's name, which conflicts are errors.
 *
 * Tars are made and unpacked by libarchive (shared/archive) in lib/berth/copy-archive.so,
 * loaded on first use like the client's TLS module, so that no other command maps libarchive
 * and its compression libraries.
 *
 * Paths are Go's: the functions below follow path/filepath (Base, Dir, Clean) and return new
 * strings the caller frees.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "host/client/client.h"
#include "shared/base/err.h"

/* ---- Go's path rules, as docker cp uses them ---- */

/* filepath.Base and filepath.Dir. */
char *copy_base(const char *path);
char *copy_dir(const char *path);
/* The path ends in "/" or names "." as its last element ("x/." or "x/./"): it asserts a
 * directory. */
bool copy_asserts_dir(const char *path);
/* archive.PreserveTrailingDotOrSeparator: cleaned, with original's trailing "/." or "/". */
char *copy_preserve_trailing(const char *cleaned, const char *original);
/* archive.SplitPathDirEntry: "/a/b" -> "/a", "b"; "/a/b/." -> "/a/b", "."; "/" -> "/", "/". */
void copy_split_dir_entry(const char *path, char **dir, char **base);
/* cp's splitCpArg: "ctr:/path" -> ctr, path; an absolute path, one without ':' or one whose
 * part before ':' starts with "." is local (*ctr NULL). */
void copy_split_arg(const char *arg, char **ctr, char **path);
/* archive.GetRebaseName: resolved with path's trailing "/." or "/", and in *rebase the name the
 * copy must keep (path's base) when resolving changed it, else NULL. */
char *copy_rebase_name(const char *path, const char *resolved, char **rebase);

/* What docker's CopyInfo says of a source or destination. */
struct copy_info {
    char *path;
    bool exists;
    bool is_dir;
    char *rebase_name; /* a source reached through a symlink keeps the link's name */
};
void copy_info_clear(struct copy_info *i);

/* archive.PrepareArchiveCopy: the directory to extract into and the name the archive's top
 * entry must have there (*top; NULL: the archive's own names are right). The archive's top
 * entry is named after src's base, or its rebase_name. Errors as docker's: "cannot copy
 * directory" (a directory onto an existing file), "no such directory" (a file onto a path
 * that asserts a directory and does not exist). */
int copy_prepare(const struct copy_info *src, const struct copy_info *dst, char **dst_dir,
                 char **top, bt_err **err);

/* ---- the local side ---- */

/* resolveLocalPath: absolute (from the working directory), trailing "/" or "/." kept. */
char *copy_local_abs(const char *path, bt_err **err);
/* command.ValidateOutputPath: `invalid output path: directory "/x" does not exist`. */
int copy_validate_output(const char *path, bt_err **err);
/* archive.CopyInfoSourcePath: symlinks before the last element resolved (the last one too with
 * follow); the source must exist ("lstat /x: no such file or directory"). */
int copy_source_info(const char *path, bool follow, struct copy_info *info, bt_err **err);
/* archive.CopyInfoDestinationPath: a symlink as the last element is followed (10 times at
 * most); a missing destination needs its parent directory. */
int copy_dest_info(const char *path, struct copy_info *info, bt_err **err);

/* ---- transfers ---- */

/* dockerd's ContainerPathStat, from the X-Docker-Container-Path-Stat header. */
struct copy_stat {
    char *name;
    int64_t size;
    uint32_t mode; /* Go's os.FileMode bits */
    char *link_target;
};
#define COPY_GO_MODE_DIR       (1u << 31)
#define COPY_GO_MODE_SYMLINK   (1u << 27)
#define COPY_GO_MODE_DEVICE    (1u << 26)
#define COPY_GO_MODE_IRREGULAR (1u << 19)
void copy_stat_clear(struct copy_stat *st);
/* Decode the header's value (base64 of JSON). */
int copy_stat_parse(const char *header, struct copy_stat *st, bt_err **err);

struct copy_opts {
    bool follow_link;  /* -L */
    bool copy_uid_gid; /* -a */
    /* where "-" sends the tar (copy from a container) or reads it from (to a container) */
    int stdio_fd;
};

/* docker cp CTR:SRC DEST|-; *copied gets the bytes of tar received and *shown the destination
 * as the summary names it. */
int copy_from_container(struct cl_client *c, const char *ctr, const char *src, const char *dst,
                        const struct copy_opts *o, int64_t *copied, char **shown, bt_err **err);
/* docker cp SRC|- CTR:DEST; *copied the bytes of tar sent, *shown as above ("ctr:/path"). */
int copy_to_container(struct cl_client *c, const char *src, const char *ctr, const char *dst,
                      const struct copy_opts *o, int64_t *copied, char **shown, bt_err **err);
