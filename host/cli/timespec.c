/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/timespec.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/base/mem.h"

bool berth_parse_duration(const char *s, long long *ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1},   {"us", 1e3}, {"µs", 1e3}, {"μs", 1e3},
                 {"ms", 1e6}, {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}};
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return true;
    }
    if (!*p)
        return false;
    double total = 0;
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return false;
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            return false;
        p = end;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, n) == 0 && n > best) {
                best = n;
                mult = units[i].ns;
            }
        }
        if (!best)
            return false; /* Go: "missing unit in duration" */
        total += v * mult;
        p += best;
    }
    if (total > 9.2e18) /* Go: "time: invalid duration" (int64 nanoseconds overflow) */
        return false;
    *ns = (long long)(neg ? -total : total);
    return true;
}

static bool all_numeric(const char *s)
{
    bool dot = false, digit = false;
    for (; *s; s++) {
        if (*s == '.' && !dot)
            dot = true;
        else if (isdigit((unsigned char)*s))
            digit = true;
        else
            return false;
    }
    return digit;
}

/* "2006-01-02[T15[:04[:05[.999999999]]]][Z|±07:00]" */
static bool parse_rfc3339(const char *s, long long *sec, long *nsec)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3)
        return false;
    const char *p = s + n;
    long frac = 0;
    if (*p == 'T') {
        p++;
        if (sscanf(p, "%2d%n", &tm.tm_hour, &n) != 1)
            return false;
        p += n;
        if (*p == ':' && sscanf(p + 1, "%2d%n", &tm.tm_min, &n) == 1) {
            p += 1 + n;
            if (*p == ':' && sscanf(p + 1, "%2d%n", &tm.tm_sec, &n) == 1) {
                p += 1 + n;
                if (*p == '.') {
                    p++;
                    int digits = 0;
                    while (isdigit((unsigned char)*p)) {
                        if (digits < 9) {
                            frac = frac * 10 + (*p - '0');
                            digits++;
                        }
                        p++;
                    }
                    for (; digits < 9; digits++)
                        frac *= 10;
                }
            }
        }
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long offset = 0;
    bool utc = false;
    if (*p == 'Z' || *p == 'z') {
        utc = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        /* exactly "±HH:MM" */
        for (int i = 1; i <= 5; i++)
            if (i == 3 ? p[i] != ':' : !isdigit((unsigned char)p[i]))
                return false;
        int hh = (p[1] - '0') * 10 + (p[2] - '0');
        int mm = (p[4] - '0') * 10 + (p[5] - '0');
        offset = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
        utc = true;
        p += 6;
    }
    if (*p)
        return false;
    time_t t;
    if (utc) {
        t = timegm(&tm) - offset;
    } else {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    }
    *sec = t;
    *nsec = frac;
    return true;
}

char *berth_timestamp(const char *value, bt_err **err)
{
    long long ns;
    if (strcmp(value, "0") != 0 && berth_parse_duration(value, &ns)) {
        time_t now = time(NULL);
        return bt_xasprintf("%lld", (long long)now - ns / 1000000000LL);
    }
    long long sec;
    long nsec;
    if (strchr(value, '-') && strchr(value, '-') != value) {
        if (!parse_rfc3339(value, &sec, &nsec)) {
            bt_err_set(err, BT_E_INVALID, "parsing time \"%s\": cannot parse it as a time", value);
            return NULL;
        }
        return bt_xasprintf("%lld.%09ld", sec, nsec);
    }
    if (!all_numeric(value)) {
        bt_err_set(err, BT_E_INVALID, "failed to parse value as time or duration: \"%s\"", value);
        return NULL;
    }
    return bt_xstrdup(value);
}
