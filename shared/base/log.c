/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

static atomic_int log_level = BT_LOG_INFO;
static atomic_int log_fd = -1;

static const char *const level_names[] = {
        [BT_LOG_FATAL] = "fatal", [BT_LOG_ERROR] = "error", [BT_LOG_WARN] = "warning",
        [BT_LOG_INFO] = "info",   [BT_LOG_DEBUG] = "debug",
};

void bt_log_set_level(enum bt_log_level level)
{
    atomic_store(&log_level, (int)level);
}

enum bt_log_level bt_log_get_level(void)
{
    return (enum bt_log_level)atomic_load(&log_level);
}

const char *bt_log_level_name(enum bt_log_level level)
{
    return level <= BT_LOG_DEBUG ? level_names[level] : "unknown";
}

int bt_log_parse_level(const char *name, enum bt_log_level *out, bt_err **err)
{
    static const struct {
        const char *name;
        enum bt_log_level level;
    } map[] = {
            {"debug", BT_LOG_DEBUG},  {"info", BT_LOG_INFO},   {"warn", BT_LOG_WARN},
            {"warning", BT_LOG_WARN}, {"error", BT_LOG_ERROR}, {"fatal", BT_LOG_FATAL},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcasecmp(name, map[i].name) == 0) {
            *out = map[i].level;
            return 0;
        }
    }
    /* dockerd: `unable to parse logging level: foo` */
    return bt_err_set(err, BT_E_INVALID, "unable to parse logging level: %s", name);
}

int bt_log_open_file(const char *path, bt_err **err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_errno(err, errno, "open log file \"%s\"", path);
    int old = atomic_exchange(&log_fd, fd);
    if (old >= 0)
        close(old);
    return 0;
}

void bt_log_set_fd(int fd)
{
    atomic_store(&log_fd, fd);
}

int bt_log_enabled(enum bt_log_level level)
{
    return (int)level <= atomic_load(&log_level);
}

/* logrus quotes the message and escapes what would break the line. */
static void append_quoted(struct bt_strbuf *sb, const char *s)
{
    bt_strbuf_append_c(sb, '"');
    for (; *s; s++) {
        switch (*s) {
        case '"':
            bt_strbuf_append(sb, "\\\"");
            break;
        case '\\':
            bt_strbuf_append(sb, "\\\\");
            break;
        case '\n':
            bt_strbuf_append(sb, "\\n");
            break;
        case '\r':
            bt_strbuf_append(sb, "\\r");
            break;
        case '\t':
            bt_strbuf_append(sb, "\\t");
            break;
        default:
            if ((unsigned char)*s < 0x20)
                bt_strbuf_appendf(sb, "\\x%02x", (unsigned char)*s);
            else
                bt_strbuf_append_c(sb, *s);
        }
    }
    bt_strbuf_append_c(sb, '"');
}

char *bt_log_format(enum bt_log_level level, const char *msg)
{
    struct timespec ts;
    struct tm tm;
    char stamp[64];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_appendf(&sb, "time=\"%s.%03ldZ\" level=%s msg=", stamp, ts.tv_nsec / 1000000,
                      bt_log_level_name(level));
    append_quoted(&sb, msg);
    bt_strbuf_append_c(&sb, '\n');
    return bt_strbuf_steal(&sb);
}

void bt_logv(enum bt_log_level level, const char *fmt, va_list ap)
{
    if (!bt_log_enabled(level))
        return;
    int saved = errno;
    char *msg = bt_xvasprintf(fmt, ap);
    char *line = bt_log_format(level, msg);
    int fd = atomic_load(&log_fd);
    if (fd < 0)
        fd = STDERR_FILENO;
    size_t len = strlen(line);
    /* One write per line; a short write to a log is not worth a retry loop that could
     * interleave with other writers. */
    ssize_t n = write(fd, line, len);
    (void)n;
    free(line);
    free(msg);
    errno = saved;
}

void bt_log(enum bt_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bt_logv(level, fmt, ap);
    va_end(ap);
}
