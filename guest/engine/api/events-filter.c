/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/engine/api/events-filter.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "guest/engine/api/filters.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/reference/reference.h"

/* digits only, at most max of them, into *out; false when not (Go's ParseInt refuses) */
static bool parse_digits(const char *s, size_t n, size_t max, int64_t *out)
{
    if (n == 0 || n > max)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* sec seconds and frac nanoseconds as nanoseconds since the epoch; the times beyond what
 * int64 nanoseconds hold (from the year 2262 on) are the farthest it holds, which every event
 * is before (or after). */
static int64_t to_ns(int64_t sec, int64_t frac)
{
    const int64_t max_sec = INT64_MAX / 1000000000 - 1;
    if (sec > max_sec)
        return INT64_MAX;
    if (sec < -max_sec)
        return INT64_MIN;
    return sec * 1000000000 + frac;
}

/* "SECONDS[.FRACTION]" */
static bool parse_unix(const char *text, int64_t *ns)
{
    const char *dot = strchr(text, '.');
    size_t n = dot ? (size_t)(dot - text) : strlen(text);
    const char *digits = text[0] == '-' ? text + 1 : text;
    int64_t sec = 0;
    /* 11 digits: up to the year 5138, clamped by to_ns */
    if (!parse_digits(digits, n - (size_t)(digits - text), 11, &sec))
        return false;
    int64_t frac = 0;
    if (dot) {
        size_t fl = strlen(dot + 1);
        if (!parse_digits(dot + 1, fl, 9, &frac))
            return false;
        for (size_t i = fl; i < 9; i++)
            frac *= 10;
    }
    *ns = to_ns(digits != text ? -sec : sec, frac);
    return true;
}

/* RFC 3339: 2006-01-02T15:04:05[.999999999](Z|+07:00) */
static bool parse_rfc3339(const char *text, int64_t *ns)
{
    struct tm tm = {0};
    const char *p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p || tm.tm_year < 0)
        return false;
    int64_t frac = 0;
    if (*p == '.') {
        size_t fl = strspn(p + 1, "0123456789");
        if (!parse_digits(p + 1, fl, 9, &frac))
            return false;
        for (size_t i = fl; i < 9; i++)
            frac *= 10;
        p += 1 + fl;
    }
    int64_t off = 0;
    if (*p == '+' || *p == '-') {
        int64_t h, m;
        if (strlen(p) != 6 || p[3] != ':' || !parse_digits(p + 1, 2, 2, &h) ||
            !parse_digits(p + 4, 2, 2, &m))
            return false;
        off = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
    } else if (strcmp(p, "Z") != 0) {
        return false;
    }
    *ns = to_ns((int64_t)timegm(&tm) - off, frac);
    return true;
}

int api_events_parse_time(const char *text, int64_t *ns, bt_err **err)
{
    *ns = 0;
    if (!text || !*text)
        return 0;
    if (parse_unix(text, ns) || parse_rfc3339(text, ns))
        return 0;
    *ns = 0;
    return bt_err_set(err, BT_E_INVALID, "strconv.ParseInt: parsing \"%s\": invalid syntax", text);
}

json_t *api_events_filters(const char *text, bt_err **err)
{
    static const char *const keys[] = {"config", "container", "daemon", "event",  "image",
                                       "label",  "network",   "node",   "plugin", "scope",
                                       "secret", "service",   "type",   "volume", NULL};
    return api_filters_parse(text, keys, err);
}

/* moby's Args.ExactMatch (fuzzy: FuzzyMatch, a prefix enough): true when key is not given */
static bool match(const json_t *f, const char *key, const char *value, bool fuzzy)
{
    json_t *vals = api_filters_get(f, key);
    if (json_array_size(vals) == 0)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach (vals, i, v) {
        const char *want = json_string_value(v);
        if (strcmp(want, value) == 0 || (fuzzy && strncmp(value, want, strlen(want)) == 0))
            return true;
    }
    return false;
}

static bool given(const json_t *f, const char *key)
{
    return json_array_size(api_filters_get(f, key)) > 0;
}

/* container, volume, network, daemon: the actor's ID or name, by prefix */
static bool match_name(const json_t *f, const char *key, const char *id, const char *name)
{
    return !given(f, key) || match(f, key, id, true) || (name && match(f, key, name, true));
}

static bool match_event(const json_t *f, const char *action)
{
    static const char *const fuzzy[] = {"health_status", "exec_create", "exec_start"};
    size_t i;
    json_t *v;
    json_array_foreach (api_filters_get(f, "event"), i, v) {
        for (size_t k = 0; k < sizeof(fuzzy) / sizeof(fuzzy[0]); k++)
            if (strcmp(json_string_value(v), fuzzy[k]) == 0)
                return match(f, "event", action, true);
    }
    return match(f, "event", action, false);
}

static char *strip_tag(const char *image)
{
    bt_autoptr(bt_ref) ref = bt_ref_parse(image, NULL);
    return ref ? bt_ref_familiar_name(ref) : bt_xstrdup(image);
}

static bool match_image(const json_t *f, const char *type, const char *id, const json_t *attrs)
{
    if (!given(f, "image"))
        return true;
    const char *name = json_string_value(
            json_object_get(attrs, strcmp(type, "image") == 0 ? "name" : "image"));
    if (!name)
        name = "";
    bt_autofree char *id_bare = strip_tag(id);
    bt_autofree char *name_bare = strip_tag(name);
    return match(f, "image", id, false) || match(f, "image", name, false) ||
           match(f, "image", id_bare, false) || match(f, "image", name_bare, false);
}

bool api_events_match(const json_t *f, const json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "Type"));
    const char *action = json_string_value(json_object_get(ev, "Action"));
    const char *scope = json_string_value(json_object_get(ev, "scope"));
    const json_t *actor = json_object_get(ev, "Actor");
    const char *id = json_string_value(json_object_get(actor, "ID"));
    const json_t *attrs = json_object_get(actor, "Attributes");
    const char *name = json_string_value(json_object_get(attrs, "name"));
    if (!type || !action || !id)
        return false;
    /* as dockerd's: any event whose actor's ID or name matches, whatever its type */
    static const char *const named[] = {"container", "volume", "network", "daemon"};
    for (size_t i = 0; i < 4; i++) {
        if (!match_name(f, named[i], id, name))
            return false;
    }
    return match_event(f, action) && match(f, "type", type, false) &&
           match(f, "scope", scope ? scope : "", false) && match_image(f, type, id, attrs) &&
           api_filters_match_labels(f, "label", attrs);
}
