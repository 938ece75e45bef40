/* SPDX-License-Identifier: Apache-2.0 */
/*
 * go-units (size.go, duration.go) and moby's container/state.go String(), to the byte.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host/format/units.h"

static void custom_size(double size, double base, const char *const *units, int nunits,
                        int precision, struct bt_strbuf *out)
{
    int i = 0;
    while (size >= base && i < nunits - 1) {
        size /= base;
        i++;
    }
    bt_strbuf_appendf(out, "%.*g%s", precision, size, units[i]);
}

void fmt_human_size(double size, int precision, struct bt_strbuf *out)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    custom_size(size, 1000.0, units, 9, precision, out);
}

void fmt_bytes_size(double size, struct bt_strbuf *out)
{
    static const char *const units[] = {"B",   "KiB", "MiB", "GiB", "TiB",
                                        "PiB", "EiB", "ZiB", "YiB"};
    custom_size(size, 1024.0, units, 9, 4, out);
}

void fmt_human_duration(int64_t ns, struct bt_strbuf *out)
{
    /* Go converts to float seconds/minutes/hours and truncates (hours round) */
    double secs = (double)ns / 1e9;
    long seconds = (long)secs;
    long minutes = (long)(secs / 60);
    long hours = (long)(secs / 3600 + 0.5);
    if (seconds < 1)
        bt_strbuf_append(out, "Less than a second");
    else if (seconds == 1)
        bt_strbuf_append(out, "1 second");
    else if (seconds < 60)
        bt_strbuf_appendf(out, "%ld seconds", seconds);
    else if (minutes == 1)
        bt_strbuf_append(out, "About a minute");
    else if (minutes < 60)
        bt_strbuf_appendf(out, "%ld minutes", minutes);
    else if (hours == 1)
        bt_strbuf_append(out, "About an hour");
    else if (hours < 48)
        bt_strbuf_appendf(out, "%ld hours", hours);
    else if (hours < 24 * 7 * 2)
        bt_strbuf_appendf(out, "%ld days", hours / 24);
    else if (hours < 24 * 30 * 2)
        bt_strbuf_appendf(out, "%ld weeks", hours / 24 / 7);
    else if (hours < 24 * 365 * 2)
        bt_strbuf_appendf(out, "%ld months", hours / 24 / 30);
    else
        bt_strbuf_appendf(out, "%ld years", (long)(secs / 3600) / 24 / 365);
}

void fmt_time_ago(int64_t then_ns, int64_t now_ns, struct bt_strbuf *out)
{
    fmt_human_duration(now_ns - then_ns, out);
    bt_strbuf_append(out, " ago");
}

static bool digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

bool fmt_parse_time(const char *s, int64_t *ns)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return false;
    if (y <= 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        int64_t scale = 100000000;
        for (p++; *p >= '0' && *p <= '9'; p++) {
            frac += (*p - '0') * scale;
            scale /= 10;
        }
    }
    int64_t off = 0;
    if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || p[6])
            return false;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    } else if ((*p != 'Z' && *p != 'z') || p[1]) {
        return false;
    }
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = se};
    time_t t = timegm(&tm) - off;
    /* nanoseconds in an int64 reach from 1677 to 2262 */
    if (t <= INT64_MIN / FMT_NS_PER_SEC || t >= INT64_MAX / FMT_NS_PER_SEC)
        return false;
    *ns = (int64_t)t * FMT_NS_PER_SEC + frac;
    return true;
}

/* The name Go's time.Parse gives an offset: the local zone's abbreviation when the local
 * zone has that offset at that instant, else none. */
static bool local_zone_name(const char *text, int off, char *name, size_t len)
{
    int64_t ns;
    if (!fmt_parse_time(text, &ns))
        return false;
    time_t t = (time_t)(ns / FMT_NS_PER_SEC);
    struct tm tm;
    if (!localtime_r(&t, &tm) || tm.tm_gmtoff != off || !tm.tm_zone)
        return false;
    snprintf(name, len, "%s", tm.tm_zone);
    return true;
}

bool fmt_go_time_string(const char *s, struct bt_strbuf *out)
{
    int v;
    if (!s || strlen(s) < 20 || !digits(s, 4, &v) || s[4] != '-' || !digits(s + 5, 2, &v) ||
        s[7] != '-' || !digits(s + 8, 2, &v) || s[10] != 'T' || !digits(s + 11, 2, &v) ||
        s[13] != ':' || !digits(s + 14, 2, &v) || s[16] != ':' || !digits(s + 17, 2, &v))
        return false;
    const char *p = s + 19, *frac = NULL;
    size_t nfrac = 0;
    if (*p == '.') {
        frac = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        nfrac = (size_t)(p - frac);
        if (!nfrac)
            return false;
        while (nfrac && frac[nfrac - 1] == '0')
            nfrac--;
    }
    int oh = 0, om = 0;
    if (*p == '+' || *p == '-') {
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || p[6])
            return false;
    } else if (*p != 'Z' || p[1]) {
        return false;
    }
    char zone[64] = "UTC", offset[8] = "+0000";
    if (*p != 'Z') {
        snprintf(offset, sizeof(offset), "%c%02d%02d", *p, oh, om);
        int secs = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        if (!local_zone_name(s, secs, zone, sizeof(zone)))
            snprintf(zone, sizeof(zone), "%s", offset);
    }
    bt_strbuf_appendf(out, "%.10s %.8s%s%.*s %s %s", s, s + 11, nfrac ? "." : "", (int)nfrac,
                      frac ? frac : "", offset, zone);
    return true;
}

static int64_t state_time(const json_t *state, const char *key, bool *zero)
{
    int64_t ns = 0;
    const json_t *v = json_object_get(state, key);
    *zero = !fmt_parse_time(json_is_string(v) ? json_string_value(v) : NULL, &ns);
    return ns;
}

static bool state_bool(const json_t *state, const char *key)
{
    return json_is_true(json_object_get(state, key));
}

void fmt_container_status(const json_t *state, int64_t now_ns, struct bt_strbuf *out)
{
    bool started_zero, finished_zero;
    int64_t started = state_time(state, "StartedAt", &started_zero);
    int64_t finished = state_time(state, "FinishedAt", &finished_zero);
    json_int_t code = json_integer_value(json_object_get(state, "ExitCode"));
    if (state_bool(state, "Running")) {
        if (state_bool(state, "Paused")) {
            bt_strbuf_append(out, "Up ");
            fmt_human_duration(now_ns - started, out);
            bt_strbuf_append(out, " (Paused)");
            return;
        }
        if (state_bool(state, "Restarting")) {
            bt_strbuf_appendf(out, "Restarting (%" JSON_INTEGER_FORMAT ") ", code);
            fmt_time_ago(finished, now_ns, out);
            return;
        }
        bt_strbuf_append(out, "Up ");
        fmt_human_duration(now_ns - started, out);
        const json_t *health = json_object_get(state, "Health");
        const char *hs = json_string_value(json_object_get(health, "Status"));
        if (hs && *hs)
            bt_strbuf_appendf(out, " (%s)", strcmp(hs, "starting") == 0 ? "health: starting" : hs);
        return;
    }
    const char *status = json_string_value(json_object_get(state, "Status"));
    if (status && strcmp(status, "removing") == 0) {
        bt_strbuf_append(out, "Removal In Progress");
    } else if (state_bool(state, "Dead")) {
        bt_strbuf_append(out, "Dead");
    } else if (started_zero) {
        bt_strbuf_append(out, "Created");
    } else if (!finished_zero) {
        bt_strbuf_appendf(out, "Exited (%" JSON_INTEGER_FORMAT ") ", code);
        fmt_time_ago(finished, now_ns, out);
    }
}
