/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Lexical path operations: they look at the string only, never at the file system, so they
 * know nothing of symlinks. To stay inside a root on disk, use shared/fs/resolve.h.
 * Every function returns a new string the caller frees.
 */
#include <stdbool.h>

/* Go's filepath.Clean: collapse "//", drop ".", fold "x/.." and a leading "/.."; "" is ".". */
char *bt_path_clean(const char *path);

/* a + "/" + b, cleaned. An absolute b is still appended under a (join, not resolve). */
char *bt_path_join(const char *a, const char *b);

/* Everything before the last element ("/a/b" -> "/a", "b" -> ".", "/" -> "/"), cleaned. */
char *bt_path_dirname(const char *path);

/* The last element ("/a/b/" -> "b", "/" -> "/", "" -> "."). */
char *bt_path_basename(const char *path);

/* True when path equals dir or lies below it, comparing whole elements ("/a/bc" is not in
 * "/a/b"). Both are cleaned first. */
bool bt_path_within(const char *path, const char *dir);
