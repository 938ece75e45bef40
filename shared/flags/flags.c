/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/flags/flags.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

struct bt_flag *bt_flags_find(struct bt_flagset *fs, const char *name)
{
    for (struct bt_flag *f = fs->flags; f && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static struct bt_flag *find_len(struct bt_flagset *fs, const char *name, size_t n)
{
    for (struct bt_flag *f = fs->flags; f && f->name; f++)
        if (strlen(f->name) == n && strncmp(f->name, name, n) == 0)
            return f;
    return NULL;
}

static struct bt_flag *find_short(struct bt_flagset *fs, char c)
{
    for (struct bt_flag *f = fs->flags; f && f->name; f++)
        if (f->shorthand && f->shorthand == c)
            return f;
    return NULL;
}

/* "-c, --cpu-shares" or "--name": how pflag names a flag in messages */
static char *flag_title(const struct bt_flag *f)
{
    if (f->shorthand)
        return bt_xasprintf("-%c, --%s", f->shorthand, f->name);
    return bt_xasprintf("--%s", f->name);
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int set_value(struct bt_flag *f, const char *arg, bt_err **err)
{
    bt_autofree char *title = flag_title(f);
    switch (f->type) {
    case BT_FLAG_BOOL:
        if (parse_bool(arg, f->value) < 0)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: "
                              "parsing \"%s\": invalid syntax",
                              arg, title, arg);
        break;
    case BT_FLAG_STRING:
        *(const char **)f->value = arg;
        break;
    case BT_FLAG_STRINGS: {
        const char ***v = f->value;
        size_t n = 0;
        while (*v && (*v)[n])
            n++;
        *v = bt_xreallocarray(*v, n + 2, sizeof(char *));
        (*v)[n] = arg;
        (*v)[n + 1] = NULL;
        break;
    }
    case BT_FLAG_INT: {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(arg, &end, 0);
        if (!*arg || *end || errno == ERANGE)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: "
                              "parsing \"%s\": %s",
                              arg, title, arg,
                              errno == ERANGE ? "value out of range" : "invalid syntax");
        *(int64_t *)f->value = n;
        break;
    }
    case BT_FLAG_FUNC: {
        bt_err *inner = NULL;
        if (f->set(f->value, arg, &inner) < 0) {
            bt_err_set(err, BT_E_INVALID, "invalid argument \"%s\" for \"%s\" flag: %s", arg, title,
                       bt_err_msg(inner));
            bt_err_free(inner);
            return -1;
        }
        break;
    }
    }
    f->changed = true;
    return 0;
}

/* --name, --name=value, --name value. *i is advanced past what was used. */
static int parse_long(struct bt_flagset *fs, int argc, char **args, int *i, bt_err **err)
{
    const char *a = args[*i] + 2;
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    if (n == 0 || a[0] == '-' || a[0] == '=')
        return bt_err_set(err, BT_E_INVALID, "bad flag syntax: %s", args[*i]);
    if (n == 4 && strncmp(a, "help", 4) == 0 && !find_len(fs, a, n))
        return BT_FLAGS_HELP;
    struct bt_flag *f = find_len(fs, a, n);
    if (!f)
        return bt_err_set(err, BT_E_INVALID, "unknown flag: --%.*s", (int)n, a);
    if (eq)
        return set_value(f, eq + 1, err);
    if (f->type == BT_FLAG_BOOL)
        return set_value(f, "true", err);
    if (*i + 1 >= argc)
        return bt_err_set(err, BT_E_INVALID, "flag needs an argument: --%s", f->name);
    (*i)++;
    return set_value(f, args[*i], err);
}

/* -abc, -Hvalue, -H=value, -H value */
static int parse_short(struct bt_flagset *fs, int argc, char **args, int *i, bt_err **err)
{
    const char *a = args[*i] + 1;
    for (size_t k = 0; a[k]; k++) {
        char c = a[k];
        struct bt_flag *f = find_short(fs, c);
        if (!f) {
            if (c == 'h')
                return BT_FLAGS_HELP;
            return bt_err_set(err, BT_E_INVALID, "unknown shorthand flag: '%c' in -%s", c, a);
        }
        const char *rest = a + k + 1;
        if (f->type == BT_FLAG_BOOL) {
            if (*rest == '=')
                return set_value(f, rest + 1, err);
            if (set_value(f, "true", err) < 0)
                return -1;
            continue;
        }
        if (*rest)
            return set_value(f, *rest == '=' ? rest + 1 : rest, err);
        if (*i + 1 >= argc)
            return bt_err_set(err, BT_E_INVALID, "flag needs an argument: '%c' in -%s", c, a);
        (*i)++;
        return set_value(f, args[*i], err);
    }
    return 0;
}

int bt_flags_parse(struct bt_flagset *fs, int argc, char **args, char ***positional, bt_err **err)
{
    char **pos = bt_xzalloc(((size_t)argc + 1) * sizeof(char *));
    size_t np = 0;
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++) {
        const char *a = args[i];
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                pos[np++] = args[i];
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            pos[np++] = args[i];
            if (!fs->interspersed) {
                for (i++; i < argc; i++)
                    pos[np++] = args[i];
                break;
            }
            continue;
        }
        rc = a[1] == '-' ? parse_long(fs, argc, args, &i, err)
                         : parse_short(fs, argc, args, &i, err);
    }
    if (rc != 0) {
        free(pos);
        return rc;
    }
    *positional = pos;
    return BT_FLAGS_OK;
}

const char *bt_flag_metavar(const struct bt_flag *f)
{
    if (f->metavar && f->type != BT_FLAG_BOOL)
        return f->metavar;
    switch (f->type) {
    case BT_FLAG_BOOL:
        return NULL;
    case BT_FLAG_STRING:
        return "string";
    case BT_FLAG_STRINGS:
        return "list";
    case BT_FLAG_INT:
        return "int";
    case BT_FLAG_FUNC:
        return f->metavar;
    }
    return NULL;
}

static int cmp_flags(const void *a, const void *b)
{
    const struct bt_flag *fa = *(const struct bt_flag *const *)a;
    const struct bt_flag *fb = *(const struct bt_flag *const *)b;
    return strcmp(fa->name, fb->name);
}

void bt_flags_print_help(const struct bt_flagset *fs, FILE *out)
{
    fprintf(out, "Usage:  %s\n\n", fs->usage);
    if (fs->description)
        fprintf(out, "%s\n\n", fs->description);
    bool any = false;
    for (const struct bt_flag *f = fs->flags; f && f->name; f++)
        any = any || !f->hidden;
    if (any)
        fprintf(out, "%s:\n", fs->options_title ? fs->options_title : "Options");
    bt_flags_print_options(fs, out);
}

void bt_flags_print_options(const struct bt_flagset *fs, FILE *out)
{
    size_t n = 0;
    for (const struct bt_flag *f = fs->flags; f && f->name; f++)
        n++;
    const struct bt_flag **sorted = bt_xzalloc((n + 1) * sizeof(*sorted));
    size_t m = 0;
    for (const struct bt_flag *f = fs->flags; f && f->name; f++)
        if (!f->hidden)
            sorted[m++] = f;
    qsort(sorted, m, sizeof(*sorted), cmp_flags);

    /* pflag: the usage column starts three spaces after the longest "-x, --name type" */
    char **heads = bt_xzalloc((m + 1) * sizeof(char *));
    size_t width = 0;
    for (size_t k = 0; k < m; k++) {
        const struct bt_flag *f = sorted[k];
        const char *mv = bt_flag_metavar(f);
        heads[k] = f->shorthand
                           ? bt_xasprintf("  -%c, --%s%s%s", f->shorthand, f->name, mv ? " " : "",
                                          mv ? mv : "")
                           : bt_xasprintf("      --%s%s%s", f->name, mv ? " " : "", mv ? mv : "");
        if (strlen(heads[k]) > width)
            width = strlen(heads[k]);
    }
    for (size_t k = 0; k < m; k++) {
        const struct bt_flag *f = sorted[k];
        /* pflag: the lines of a multi-line usage start under its first */
        fprintf(out, "%-*s   ", (int)width, heads[k]);
        for (const char *u = f->usage ? f->usage : ""; *u; u++) {
            fputc(*u, out);
            if (*u == '\n')
                fprintf(out, "%*s", (int)width + 3, "");
        }
        if (f->def_text)
            fprintf(out, f->type == BT_FLAG_STRING ? " (default \"%s\")" : " (default %s)",
                    f->def_text);
        fputc('\n', out);
    }
    bt_strv_free(heads);
    free(sorted);
}
