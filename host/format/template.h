/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Go's text/template in C, as the docker CLI 28 runs it for --format: the same syntax, the same
 * functions (Go's builtins plus docker's json, split, join, title, lower, upper, pad,
 * truncate), the same output and the same error messages, on data held as jansson values.
 *
 *   bt_autoerr bt_err *err = NULL;
 *   struct fmt_template *t = fmt_template_parse("{{.Name}}\t{{.State.Status}}", &err);
 *   fmt_template_exec(t, doc, NULL, &out, &err);
 *   fmt_template_free(t);
 *
 * Errors are worded as Go words them, without docker's "template parsing error: " prefix
 * (callers add it where docker does): "template: :1: unexpected \"}\" in operand",
 * "template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\"".
 *
 * JSON cannot tell a Go struct from a Go map, yet Go prints them differently ({a b} against
 * map[k:a l:b]) and fails differently on a missing member. Objects are structs unless the
 * caller's type table (struct fmt_type) or objects_are_maps says otherwise; see
 * docs/internals/format.md for the rules and the deliberate differences from Go.
 *
 * Ownership: a parsed template owns a copy of its text and is immutable: it may be executed
 * any number of times, from several threads at once. Data is only read.
 */
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"
#include "shared/base/strbuf.h"

struct fmt_template;

/* Parse a template. Errors (BT_E_INVALID) read as Go's, "template: :LINE: ...". Unsupported
 * Go actions ({{define}}, {{template}}, {{block}}) are parse errors. */
struct fmt_template *fmt_template_parse(const char *text, bt_err **err);
/* The same for text of known length (it may hold NUL bytes). */
struct fmt_template *fmt_template_parse_n(const char *text, size_t len, bt_err **err);
void fmt_template_free(struct fmt_template *t);

/* The Go type of the value found at a path of the data. Paths are member names joined by '.'
 * from the root (""); "[]" stands for any element of an array or map:
 *   {"", "*formatter.ContainerContext"}, {"Config.Labels", "map[string]string"},
 *   {"Mounts.[]", "container.MountPoint"}.
 * A type starting with "map[" makes an object a map; any other makes it a struct. Types also
 * name values in errors ("can't evaluate field X in type T") and decide how null prints:
 * "[]..." as [], "map[..." as map[], others as <nil>. An entry may mark a struct member
 * omitempty (docker's volume.Volume: {"UsageData", "*volume.UsageData", true}). */
struct fmt_type {
    const char *path;
    const char *go_type;
    /* the member's `json:",omitempty"`: {{json}} of the struct holding it leaves it out when
     * it is empty (null, "", 0, false, [], or an empty map), as encoding/json does */
    bool omitempty;
};

/* A method call the data cannot answer by itself, such as docker's {{.Label "key"}} on list
 * rows. Called for every field access before the field is looked up, as Go looks up methods
 * first. Return 1 with *result set (a new reference), 0 when `name` is no method of the
 * receiver (the field is looked up), or -1 with *err set (printed as Go's "error calling NAME:
 * <message>"). */
typedef int (*fmt_method_fn)(void *ctx, const char *name, const char *receiver_path,
                             const json_t *receiver, const json_t *const *args, size_t nargs,
                             json_t **result, bt_err **err);

/* Default cap on the output of one execution. */
#define FMT_DEFAULT_MAX_OUTPUT (16u << 20)

/* Ten million steps: about a second on a laptop, more than any real format needs. */
#define FMT_DEFAULT_MAX_STEPS 10000000ul

struct fmt_exec_opts {
    /* Go types of the data, terminated by an entry whose path is NULL; NULL for none. */
    const struct fmt_type *types;
    /* Objects without an entry in `types` are maps (docker's raw inspect fallback, where the
     * data is decoded into map[string]interface{}) rather than structs. */
    bool objects_are_maps;
    /* Go's Option("missingkey=error"): a missing map key is an error, not <no value>. */
    bool missing_key_error;
    /* docker's HeaderFunctions: json, split, join, title, lower, upper and truncate return
     * their first argument unchanged (table headers). */
    bool header;
    fmt_method_fn method;
    void *method_ctx;
    /* Most bytes one execution may write (0: FMT_DEFAULT_MAX_OUTPUT); past it execution
     * stops with an error. */
    size_t max_output;
    /* Most steps (walks of nodes, commands evaluated) one execution may take (0:
     * FMT_DEFAULT_MAX_STEPS); past it execution stops with an error, so that no template
     * runs forever. */
    unsigned long max_steps;
};

/* Execute t on data (NULL: Go's nil data), appending to out. opts may be NULL (structs,
 * missing keys print <no value>, no methods). On failure (BT_E_INVALID) the output written
 * before the error stays in out, as Go leaves it in its writer. */
int fmt_template_exec(const struct fmt_template *t, const json_t *data,
                      const struct fmt_exec_opts *opts, struct bt_strbuf *out, bt_err **err);

/* Go's fmt %v of a JSON value under opts' typing, as an action {{.}} prints it. */
void fmt_print_value(const json_t *v, const struct fmt_exec_opts *opts, struct bt_strbuf *out);

BT_DEFINE_AUTOPTR(fmt_template, struct fmt_template, fmt_template_free);
