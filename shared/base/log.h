/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Logging in dockerd's (logrus) text format, one line per call:
 *
 *   time="2026-11-29T10:04:05.123Z" level=info msg="API listen on /run/berth.sock"
 *
 * Levels in dockerd's words (debug, info, warn, error, fatal); the default threshold is info.
 * Output goes to stderr unless bt_log_open_file() names a file (opened O_APPEND). Each line is
 * written with a single write(2), so lines from several threads or processes never interleave.
 * The level and the destination are process-wide; set them once at start-up, before threads.
 */
#include <stdarg.h>

#include "shared/base/err.h"

enum bt_log_level {
    BT_LOG_FATAL,
    BT_LOG_ERROR,
    BT_LOG_WARN,
    BT_LOG_INFO,
    BT_LOG_DEBUG,
};

void bt_log_set_level(enum bt_log_level level);
enum bt_log_level bt_log_get_level(void);
/* "debug", "info", "warn"/"warning", "error", "fatal" (case-insensitive). */
int bt_log_parse_level(const char *name, enum bt_log_level *out, bt_err **err);
const char *bt_log_level_name(enum bt_log_level level);

/* Send log lines to this file from now on (created 0600 if missing). */
int bt_log_open_file(const char *path, bt_err **err);
/* Send log lines to fd (not owned; -1 restores stderr). */
void bt_log_set_fd(int fd);

int bt_log_enabled(enum bt_log_level level);
void bt_log(enum bt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bt_logv(enum bt_log_level level, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

/* The line bt_log() would write for msg, newline-terminated (for tests and for writers other
 * than the log fd); the caller frees it. */
char *bt_log_format(enum bt_log_level level, const char *msg);

#define bt_error(...) bt_log(BT_LOG_ERROR, __VA_ARGS__)
#define bt_warn(...)  bt_log(BT_LOG_WARN, __VA_ARGS__)
#define bt_info(...)  bt_log(BT_LOG_INFO, __VA_ARGS__)
#define bt_debug(...)                          \
    do {                                       \
        if (bt_log_enabled(BT_LOG_DEBUG))      \
            bt_log(BT_LOG_DEBUG, __VA_ARGS__); \
    } while (0)
