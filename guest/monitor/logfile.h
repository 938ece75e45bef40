/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The json-file log driver, as Docker writes it: one JSON object per line,
 *   {"log":"hi\n","stream":"stdout","time":"2026-11-29T10:04:05.123456789Z"}
 * Output is cut at newlines; a line longer than 16 KiB is written in pieces without the
 * newline, which readers join (as Docker does). Invalid UTF-8 becomes U+FFFD, as Go's encoder
 * writes it.
 */
#include <stddef.h>
#include <stdint.h>

#include "shared/base/err.h"

struct logfile;

/* Open (append) path; NULL path gives a log that discards everything (--log-driver none). */
struct logfile *logfile_open(const char *path, bt_err **err);

/* The same with rotation (--log-opt max-size, max-file), as dockerd's json-file driver does it:
 * before a line is written, a file that has reached max_size bytes (-1: no limit) is rotated,
 * path.N-1 dropped, path.K renamed path.K+1, path renamed path.1, and a new path begun; with
 * max_files 1 the file is emptied instead. So at most max_files files of about max_size. */
struct logfile *logfile_open_rotating(const char *path, int64_t max_size, int max_files,
                                      bt_err **err);

/* The renames of one rotation (exposed for tests): path.(max_files-1) removed, the others
 * shifted up by one, path to path.1. Missing files are fine. */
int logfile_rotate_files(const char *path, int max_files, bt_err **err);
/* Add output of a stream ("stdout"/"stderr"). */
void logfile_write(struct logfile *l, const char *stream, const char *data, size_t len);
/* Write out partial lines still buffered (at exit). */
void logfile_flush(struct logfile *l);
void logfile_close(struct logfile *l);

/* Replace invalid UTF-8 in s with U+FFFD; returns a new string (for tests and the engine). */
char *logfile_sanitize_utf8(const char *s, size_t len, size_t *out_len);
