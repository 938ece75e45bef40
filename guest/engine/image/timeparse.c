/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times as Docker's Go code writes and reads them: RFC 3339 with nanoseconds in image configs,
 * Go durations in HEALTHCHECK flags, and dockerd's timestamp.Parse for the until/since filters.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"

static const struct {
    const char *name;
    int64_t ns;
} units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
        {"ms", 1000000},
        {"s", 1000000000LL},
        {"m", 60LL * 1000000000LL},
        {"h", 3600LL * 1000000000LL},
};

static int bad_duration(const char *s, bt_err **err)
{
    return bt_err_set(err, BT_E_INVALID, "time: invalid duration \"%s\"", s);
}

/* One "<number>[.<fraction>]<unit>" element at *p, added to *total. */
static int duration_element(const char *s, const char **p, double *total, bt_err **err)
{
    const char *q = *p;
    const char *start = q;
    while (isdigit((unsigned char)*q))
        q++;
    bool whole = q > start;
    bool frac = false;
    if (*q == '.') {
        q++;
        const char *f = q;
        while (isdigit((unsigned char)*q))
            q++;
        frac = q > f;
    }
    if (!whole && !frac)
        return bad_duration(s, err);
    bt_autofree char *num = bt_xstrndup(start, (size_t)(q - start));
    double value = strtod(num, NULL);
    const char *u = q;
    while (*q && *q != '.' && !isdigit((unsigned char)*q))
        q++;
    if (q == u)
        return bt_err_set(err, BT_E_INVALID, "time: missing unit in duration \"%s\"", s);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strlen(units[i].name) == (size_t)(q - u) && strncmp(units[i].name, u, q - u) == 0) {
            *total += value * (double)units[i].ns;
            *p = q;
            return 0;
        }
    }
    return bt_err_set(err, BT_E_INVALID, "time: unknown unit \"%.*s\" in duration \"%s\"",
                      (int)(q - u), u, s);
}

int image_parse_duration(const char *s, int64_t *ns, bt_err **err)
{
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (!*p)
        return bad_duration(s, err);
    double total = 0;
    while (*p)
        if (duration_element(s, &p, &total, err) < 0)
            return -1;
    if (total > (double)INT64_MAX)
        return bad_duration(s, err);
    *ns = neg ? -(int64_t)total : (int64_t)total;
    return 0;
}

/* "YYYY-MM-DD" ["T" HH [":" MM [":" SS ["." frac]]]] [zone]: a broken-down time, whether a
 * zone was given, and its offset in seconds. */
struct when {
    struct tm tm;
    bool zoned;
    long offset;
};

static bool parse_zone(const char *p, struct when *w)
{
    if (!*p)
        return true;
    if ((p[0] == 'Z' || p[0] == 'z') && !p[1]) {
        w->zoned = true;
        return true;
    }
    int hh, mm, n = 0;
    if ((p[0] == '+' || p[0] == '-') && sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) == 2 &&
        !p[1 + n]) {
        w->zoned = true;
        w->offset = (p[0] == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
        return true;
    }
    return false;
}

static bool parse_when(const char *s, struct when *w)
{
    memset(w, 0, sizeof(*w));
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &w->tm.tm_year, &w->tm.tm_mon, &w->tm.tm_mday, &n) != 3 ||
        n != 10)
        return false;
    w->tm.tm_year -= 1900;
    w->tm.tm_mon -= 1;
    const char *p = s + n;
    if (*p == 'T' || *p == 't') {
        p++;
        int *fields[] = {&w->tm.tm_hour, &w->tm.tm_min, &w->tm.tm_sec};
        for (int i = 0; i < 3; i++) {
            if (i > 0 && *p != ':')
                break;
            if (i > 0)
                p++;
            if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
                return false;
            *fields[i] = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return false;
            while (isdigit((unsigned char)*p))
                p++;
        }
    }
    if (w->tm.tm_mon < 0 || w->tm.tm_mon > 11 || w->tm.tm_mday < 1 || w->tm.tm_mday > 31 ||
        w->tm.tm_hour > 23 || w->tm.tm_min > 59 || w->tm.tm_sec > 60)
        return false;
    return parse_zone(p, w);
}

static int64_t when_seconds(struct when *w)
{
    if (!w->zoned) {
        w->tm.tm_isdst = -1;
        return (int64_t)mktime(&w->tm);
    }
    return (int64_t)timegm(&w->tm) - w->offset;
}

int image_parse_rfc3339(const char *s, int64_t *sec, bt_err **err)
{
    struct when w;
    if (!parse_when(s, &w) || !w.zoned || !strchr(s, 'T'))
        return bt_err_set(err, BT_E_INVALID, "parsing time \"%s\": not RFC 3339", s);
    *sec = when_seconds(&w);
    return 0;
}

/* Unix seconds, optionally ".nanoseconds" */
static int parse_unix(const char *s, int64_t *out, bt_err **err)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || (*end && *end != '.'))
        return bt_err_set(err, BT_E_INVALID,
                          "failed to parse value as time or duration: invalid seconds \"%s\"", s);
    if (*end == '.')
        for (const char *p = end + 1; *p; p++)
            if (!isdigit((unsigned char)*p))
                return bt_err_set(err, BT_E_INVALID,
                                  "failed to parse value as time or duration: invalid "
                                  "nanoseconds \"%s\"",
                                  end + 1);
    *out = v;
    return 0;
}

int image_parse_timestamp(const char *s, int64_t now, int64_t *out, bt_err **err)
{
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return bt_err_set(err, BT_E_INVALID,
                          "failed to parse value as time or duration: value is empty");
    int64_t ns;
    if (strcmp(s, "0") != 0 && image_parse_duration(s, &ns, NULL) == 0) {
        *out = now - ns / 1000000000LL - (ns % 1000000000LL > 0 ? 1 : 0);
        return 0;
    }
    struct when w;
    if (parse_when(s, &w)) {
        *out = when_seconds(&w);
        return 0;
    }
    if (strchr(s, '-'))
        return bt_err_set(err, BT_E_INVALID, "parsing time \"%s\": not a valid timestamp", s);
    return parse_unix(s, out, err);
}

char *image_time_now_rfc3339(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[16] = "";
    if (ts.tv_nsec) {
        snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
        size_t n = strlen(frac);
        while (frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    return bt_xasprintf("%s%sZ", date, frac);
}
