/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* The builder's internals, shared by its files (build.h has the contract). */
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "guest/engine/build/build.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/instructions.h"

/* The result of a finished stage, for FROM <stage> and COPY --from. */
struct build_stage_result {
    char *name; /* lower case, or NULL */
    char *image_id;
};

/* dockerd's dispatchState: where a stage is. */
struct build_state {
    char *image_id;    /* the current image; "" for scratch before any commit */
    json_t *config;    /* runConfig: the Docker API Config of the image being made */
    json_t *args;      /* ARGs declared in this stage: name -> value (string or null) */
    char *maintainer;  /* MAINTAINER: the images' author */
    bool cmd_set;      /* CMD given in this stage (a later ENTRYPOINT keeps it) */
    bool cache_busted; /* a step missed the cache: every later one does too */
};

struct build {
    struct build_deps deps;
    struct build_opts opts;
    char **tags;
    json_t *build_args; /* --build-arg, our copy */
    json_t *labels;
    char *dir;     /* <data_root>/build/<random> */
    char *context; /* dir/context */
    struct bt_df_file *file;
    long last; /* the stage to build up to */
    size_t step, nsteps;
    json_t *meta;      /* the meta ARGs' values: name -> string or null */
    json_t *used_args; /* build args some ARG consumed: name -> true */
    struct build_stage_result *results;
    size_t nresults;
    struct build_state st;
    build_emit_fn emit;
    void *emit_ctx;
};

/* ---- output (build.c) ---- */
void build_out(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a RUN's stderr, as dockerd's stderr writer colours it */
void build_out_stderr(struct build *b, const char *data, size_t len);
void build_out_raw(struct build *b, const char *data, size_t len);

/* ---- the context (build-context.c) ---- */
int build_context_unpack(struct build *b, int fd, bt_err **err);
/* the Dockerfile's bytes; dockerd's "Cannot locate specified Dockerfile: X" */
char *build_context_dockerfile(struct build *b, size_t *len, bt_err **err);

/* ---- steps (build-steps.c) ---- */
/* The environment an instruction is expanded with: the declared ARGs with values, then Env. */
char **build_expand_env(const struct build *b);
/* Dispatch one (unexpanded) instruction of the current stage. */
int build_dispatch(struct build *b, const struct bt_df_inst *inst, bt_err **err);
/* dockerd's commit of a config-only step: probe the cache with the comment Cmd, else an image
 * without layer. */
int build_commit_config(struct build *b, const char *comment, bt_err **err);
/* Probe the cache with a container config (Image set to the current image); true on a hit
 * (" ---> Using cache" printed, the state moved to the cached image). */
bool build_probe(struct build *b, json_t *container_config);
/* Commit an upper directory (NULL: none) over the current image. */
int build_commit_upper(struct build *b, const char *upper, const json_t *container_config,
                       bt_err **err);
/* The shell of the stage: Config.Shell or ["/bin/sh", "-c"] (new array). */
json_t *build_shell(const struct build *b);
/* A copy of the run config with Cmd = shell + comment parts (dockerd's withCmdComment). */
json_t *build_comment_config(const struct build *b, const char *const *parts);
/* The build args a RUN gets (dockerd's FilterAllowed): "k=v", sorted, NULL-terminated. */
char **build_run_args(const struct build *b);

/* ---- RUN (build-run.c) ---- */
int build_run_step(struct build *b, const struct bt_df_inst *x, bt_err **err);

/* ---- COPY / ADD (build-copy.c) ---- */
int build_copy_step(struct build *b, const struct bt_df_inst *x, bool add, bt_err **err);
/* WORKDIR's directory (dockerd's ContainerCreateWorkdir): made in a layer committed with the
 * step's container config cc; no layer when the image has it already. */
int build_workdir_step(struct build *b, const char *path, const json_t *cc, bt_err **err);

/* ---- ADD's downloads (build-fetch.c, libcurl) ---- */
/* GET url into path (mode 0600); *mtime from Last-Modified or 0; *disposition: the
 * Content-Disposition header's filename or NULL (the caller frees it). */
int build_fetch(const char *url, const char *path, char **disposition, time_t *mtime, bt_err **err);

/* ---- pure helpers (build-keys.c) ---- */
/* Go's %q of a string, and of a []string ("[\"a\" \"b\"]") */
void build_go_quote(struct bt_strbuf *sb, const char *s);
char *build_go_quote_strv(const json_t *arr);
/* Go's %v of a []string: "[a b]" */
char *build_go_strv(const json_t *arr);
/* dockerd's getSourceHashFromInfos: one hash as is, several as "multi:<sha256 of a,b>" */
char *build_sources_hash(char *const *hashes);
/* The content hash of a file or tree of the context: "file:<hex>" / "dir:<hex>", over the
 * contents and metadata (type, mode, size, link target, names) but not times or owners, which
 * a copy does not keep. */
char *build_path_hash(const char *path, bt_err **err);
/* --chown: "user[:group]" against passwd and group texts (NULL when missing); a bare user
 * takes the same string as group, as dockerd's parseChownFlag does. */
int build_parse_chown(const char *spec, const char *passwd, const char *group, uid_t *uid,
                      gid_t *gid, bt_err **err);
/* dockerd's prependEnvOnCmd: ["|N", args..., cmd...] (args sorted); cmd when none. */
json_t *build_prepend_env(char *const *args, const json_t *cmd);
/* Wildcards in a COPY source (filepath.Match's metacharacters). */
bool build_has_wildcard(const char *s);
/* filepath.Match for one path (no separator crossing). */
bool build_match(const char *pattern, const char *name);
/* EXPOSE's ports as nat.ParsePortSpecs keys: "80" -> "80/tcp", ranges expanded. */
int build_expose_ports(char *const *ports, json_t *exposed, bt_err **err);
