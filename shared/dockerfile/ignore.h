/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * .dockerignore: which paths of a build context are left out, with Docker's rules
 * (moby/patternmatcher and its ignorefile reader; the walk rule of buildkit's fsutil). For both
 * sides: the client leaves the paths out of the context tar, the engine applies the same
 * patterns to a context it receives whole.
 *
 * Patterns, one a line; a line starting with "#" is a comment, blank lines are skipped, each
 * pattern is trimmed and cleaned (filepath.Clean: "./a//b/" is "a/b"), and a leading "/" is
 * dropped ("/a" is "a": paths are relative to the context's root).
 *   *      any run of characters except "/"        ?   one character except "/"
 *   **     any number of directories, even none    [a-z] [^a-z]  a character class
 *   \c     c itself                                !pattern  an exception: re-includes
 * A path is excluded when the last pattern matching it, or matching one of its parent
 * directories ("a" excludes "a/b/c"), is not an exception. Order matters: "!keep" then "*"
 * excludes keep too.
 *
 * An excluded directory is still walked when an exception may match something inside it
 * (bt_ignore_must_walk); the walker then emits the directory only if something under it is
 * kept, as buildkit does.
 *
 * The matcher is immutable once built: share it between threads freely.
 */
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

struct bt_ignore;

/* The patterns of a .dockerignore file (ignorefile.ReadAll): a NULL-terminated vector,
 * exceptions kept with their "!". Never fails. */
char **bt_ignore_read(const char *data, size_t len);

/* A matcher over patterns as bt_ignore_read() gives them (or as the API's exclude list holds
 * them). Fails (BT_E_INVALID) on "!" alone and on malformed patterns ("[a", "a\"). */
struct bt_ignore *bt_ignore_new(char *const *patterns, bt_err **err);
/* bt_ignore_read() + bt_ignore_new(). */
struct bt_ignore *bt_ignore_parse(const char *data, size_t len, bt_err **err);
void bt_ignore_free(struct bt_ignore *m);
BT_DEFINE_AUTOPTR(bt_ignore, struct bt_ignore, bt_ignore_free);

/* Whether path ("/"-separated, relative to the context root; cleaned here) is excluded. The
 * root itself (".", "") never is. */
bool bt_ignore_matches(const struct bt_ignore *m, const char *path);

/* For an excluded directory: true when the walk must still go inside because an exception
 * could re-include something below it (always, when an exception holds wildcards; else when
 * an exception names a path under dir). */
bool bt_ignore_must_walk(const struct bt_ignore *m, const char *dir);

/* Whether any pattern is an exception ("!..."). */
bool bt_ignore_has_exceptions(const struct bt_ignore *m);
/* The patterns as compiled (cleaned, without "!"), and whether each is an exception. */
size_t bt_ignore_count(const struct bt_ignore *m);
const char *bt_ignore_pattern(const struct bt_ignore *m, size_t i, bool *exception);
