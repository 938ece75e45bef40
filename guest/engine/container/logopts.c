/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --log-opt for the json-file driver, as dockerd reads them (daemon/logger/jsonfilelog):
 * the keys it knows are checked at create ("unknown log opt 'x' for json-file log driver");
 * max-size (go-units' FromHumanSize: decimal units, "1k" is 1000 bytes) and max-file are read
 * when the log is opened at a start, whose failure names them ("failed to initialize logging
 * driver: ..."). compress is accepted and has no effect: rotated files stay plain.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/container/container-internal.h"
#include "shared/json/json.h"

static const char *const json_file_keys[] = {"max-file",  "max-size",     "compress",
                                             "labels",    "labels-regex", "env",
                                             "env-regex", "tag",          NULL};

int ctr_log_check_opts(const json_t *log_config, bt_err **err)
{
    const char *type = bt_json_get_str(log_config, "Type", "json-file");
    const json_t *opts = bt_json_get_obj(log_config, "Config");
    if (!opts || (*type && strcmp(type, "json-file") != 0))
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)opts, key, v) {
        size_t i = 0;
        while (json_file_keys[i] && strcmp(json_file_keys[i], key) != 0)
            i++;
        if (!json_file_keys[i])
            return bt_err_set(err, BT_E_INVALID, "unknown log opt '%s' for json-file log driver",
                              key);
    }
    return 0;
}

int ctr_parse_human_size(const char *s, int64_t *out, bt_err **err)
{
    /* ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$ */
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        goto bad;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        if (!isdigit((unsigned char)p[1]))
            goto bad;
        for (p++; isdigit((unsigned char)*p);)
            p++;
    }
    const char *num_end = p;
    if (*p == ' ')
        p++;
    static const char units[] = "kmgtp";
    const char *u = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
    double mul = 1;
    if (u) {
        for (const char *k = units; k <= u; k++)
            mul *= 1000;
        p++;
    }
    if (*p == 'i' || *p == 'I')
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p)
        goto bad;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != num_end || errno == ERANGE || v * mul >= 9.2e18)
        goto bad;
    *out = (int64_t)(v * mul);
    return 0;
bad:
    return bt_err_set(err, BT_E_INVALID, "invalid size: '%s'", s);
}

/* Go's strconv.Atoi, its error text included */
static int atoi_go(const char *s, int *out, bt_err **err)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || isspace((unsigned char)*s))
        return bt_err_set(err, BT_E_INVALID, "strconv.Atoi: parsing \"%s\": invalid syntax", s);
    if (errno == ERANGE || v > 1000000000L || v < -1000000000L)
        return bt_err_set(err, BT_E_INVALID, "strconv.Atoi: parsing \"%s\": value out of range", s);
    *out = (int)v;
    return 0;
}

int ctr_log_limits(const json_t *log_config, int64_t *max_size, int *max_files, bt_err **err)
{
    const json_t *opts = bt_json_get_obj(log_config, "Config");
    *max_size = -1;
    *max_files = 1;
    const char *size = bt_json_get_str(opts, "max-size", NULL);
    const char *files = bt_json_get_str(opts, "max-file", NULL);
    if (size) {
        if (ctr_parse_human_size(size, max_size, err) < 0)
            return -1;
        if (*max_size <= 0)
            return bt_err_set(err, BT_E_INVALID, "max-size must be a positive number");
    }
    if (files) {
        if (atoi_go(files, max_files, err) < 0)
            return -1;
        if (*max_files < 1)
            return bt_err_set(err, BT_E_INVALID, "max-file cannot be less than 1");
    }
    /* without a size there is nothing to rotate: one file, as dockerd keeps it */
    if (*max_size < 0)
        *max_files = 1;
    return 0;
}
