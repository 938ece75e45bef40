/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The changes of docker import/commit (see changes.h): each logical line is one Dockerfile
 * instruction, parsed as BuildKit's parser does (per-instruction line parsers: name/value
 * pairs, maybe-JSON, whitespace lists, plain strings) and applied as dockerd's classic builder
 * dispatches it (with word expansion against the config's Env, as it was before the line).
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guest/engine/image/changes.h"
#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/path.h"
#include "shared/json/json.h"

struct state {
    json_t *cfg;
    bool cmd_set; /* a CMD with arguments came first: ENTRYPOINT keeps it */
};

/* One instruction: its word as written, the rest of the line after builder flags, the flags,
 * and the whole line (ONBUILD keeps it). */
struct instr {
    const char *cmd;
    const char *rest;
    char **flags;
    const char *line;
};

static int invalid(bt_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid(bt_err **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bt_err_setv(err, BT_E_INVALID, fmt, ap);
    va_end(ap);
    return -1;
}

static int no_flags(const struct instr *in, bt_err **err)
{
    for (size_t i = 0; in->flags[i]; i++) {
        if (strcmp(in->flags[i], "--") == 0)
            return 0;
        if (strncmp(in->flags[i], "--", 2) != 0)
            return invalid(err, "arg should start with -- : %s", in->flags[i]);
        size_t n = strcspn(in->flags[i], "=");
        return invalid(err, "unknown flag: %.*s", (int)n, in->flags[i]);
    }
    return 0;
}

static const json_t *env_of(const struct state *st)
{
    return json_object_get(st->cfg, "Env");
}

/* ---- line parsers ---- */

/* parseJSON: 1 and *out for a JSON array of strings, 0 when rest is not JSON, -1 when it is
 * an array of something else. */
static int parse_json_array(const char *rest, char ***out, bt_err **err)
{
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest != '[')
        return 0;
    bt_autoptr(json_t) v = bt_json_parse(rest, strlen(rest), NULL);
    if (!json_is_array(v))
        return 0;
    size_t i;
    json_t *e;
    json_array_foreach (v, i, e) {
        if (!json_is_string(e))
            return invalid(err, "when using JSON array syntax, arrays must be comprised of "
                                "strings only");
    }
    *out = bt_json_to_strv(v, NULL);
    return 1;
}

/* parseMaybeJSON + handleJSONArgs: *json tells the exec form; a shell form is one string. */
static int parse_maybe_json(const char *rest, char ***args, bool *json, bt_err **err)
{
    *json = false;
    if (!*rest) {
        *args = bt_xzalloc(sizeof(char *));
        return 0;
    }
    int r = parse_json_array(rest, args, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        *json = true;
        return 0;
    }
    *args = bt_xzalloc(sizeof(char *));
    bt_strv_push(args, rest);
    return 0;
}

/* parseStringsWhitespaceDelimited */
static char **split_blanks(const char *rest)
{
    char **out = bt_xzalloc(sizeof(char *));
    const char *p = rest;
    while (*p) {
        p += strspn(p, " \t\r\n\v\f");
        size_t n = strcspn(p, " \t\r\n\v\f");
        if (n) {
            bt_autofree char *w = bt_xstrndup(p, n);
            bt_strv_push(&out, w);
        }
        p += n;
    }
    return out;
}

/* parseMaybeJSONToList */
static int parse_json_or_list(const char *rest, char ***out, bt_err **err)
{
    int r = parse_json_array(rest, out, err);
    if (r < 0)
        return -1;
    if (r == 0)
        *out = split_blanks(rest);
    return 0;
}

struct kv {
    char *key;
    char *value;
};

static void kvs_free(struct kv *kvs)
{
    for (size_t i = 0; kvs && kvs[i].key; i++) {
        free(kvs[i].key);
        free(kvs[i].value);
    }
    free(kvs);
}

/* parseNameVal + parseKvps: "KEY value..." (the old form) or "k=v k2=v2...". */
static struct kv *parse_name_val(const char *rest, const char *what, bt_err **err)
{
    bt_autostrv char **words = changes_split_words(rest);
    size_t n = bt_strv_len(words);
    if (n == 0) {
        invalid(err, "%s requires at least one argument", what);
        return NULL;
    }
    struct kv *kvs = bt_xzalloc((n + 1) * sizeof(*kvs));
    if (!strchr(words[0], '=')) {
        size_t klen = strcspn(rest, " \t\r\n\v\f");
        const char *v = rest + klen;
        v += strspn(v, " \t\r\n\v\f");
        if (!rest[klen] || !*v) {
            kvs_free(kvs);
            invalid(err, "%s must have two arguments", what);
            return NULL;
        }
        kvs[0].key = bt_xstrndup(rest, klen);
        kvs[0].value = bt_xstrdup(v);
    } else {
        for (size_t i = 0; i < n; i++) {
            char *eq = strchr(words[i], '=');
            if (!eq) {
                kvs_free(kvs);
                invalid(err,
                        "Syntax error - can't find = in \"%s\". Must be of the form: "
                        "name=value",
                        words[i]);
                return NULL;
            }
            kvs[i].key = bt_xstrndup(words[i], (size_t)(eq - words[i]));
            kvs[i].value = bt_xstrdup(eq + 1);
        }
    }
    for (size_t i = 0; kvs[i].key; i++) {
        if (!*kvs[i].key) {
            kvs_free(kvs);
            invalid(err, "%s names can not be blank", what);
            return NULL;
        }
    }
    return kvs;
}

/* Expand every key and value against env. */
static int expand_kvs(struct kv *kvs, const json_t *env, bt_err **err)
{
    for (size_t i = 0; kvs[i].key; i++) {
        char *k = changes_expand(kvs[i].key, env, err);
        char *v = k ? changes_expand(kvs[i].value, env, err) : NULL;
        if (!v) {
            free(k);
            return -1;
        }
        free(kvs[i].key);
        free(kvs[i].value);
        kvs[i].key = k;
        kvs[i].value = v;
    }
    return 0;
}

/* ---- instructions ---- */

static json_t *member_obj(json_t *cfg, const char *key)
{
    json_t *o = json_object_get(cfg, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(cfg, key, o);
    }
    return o;
}

static json_t *member_arr(json_t *cfg, const char *key)
{
    json_t *a = json_object_get(cfg, key);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(cfg, key, a);
    }
    return a;
}

static int do_env(struct state *st, const struct instr *in, bt_err **err)
{
    if (no_flags(in, err) < 0)
        return -1;
    struct kv *kvs = parse_name_val(in->rest, "ENV", err);
    if (!kvs || expand_kvs(kvs, env_of(st), err) < 0) {
        kvs_free(kvs);
        return -1;
    }
    json_t *env = member_arr(st->cfg, "Env");
    for (size_t i = 0; kvs[i].key; i++) {
        bt_autofree char *var = bt_xasprintf("%s=%s", kvs[i].key, kvs[i].value);
        size_t klen = strlen(kvs[i].key);
        size_t j;
        json_t *e;
        bool replaced = false;
        json_array_foreach (env, j, e) {
            const char *s = json_string_value(e);
            if (s && strncmp(s, kvs[i].key, klen) == 0 && (s[klen] == '=' || !s[klen])) {
                json_array_set_new(env, j, json_string(var));
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append_new(env, json_string(var));
    }
    kvs_free(kvs);
    return 0;
}

static int do_label(struct state *st, const struct instr *in, bt_err **err)
{
    if (no_flags(in, err) < 0)
        return -1;
    struct kv *kvs = parse_name_val(in->rest, "LABEL", err);
    if (!kvs || expand_kvs(kvs, env_of(st), err) < 0) {
        kvs_free(kvs);
        return -1;
    }
    json_t *labels = member_obj(st->cfg, "Labels");
    for (size_t i = 0; kvs[i].key; i++)
        json_object_set_new(labels, kvs[i].key, json_string(kvs[i].value));
    kvs_free(kvs);
    return 0;
}

/* resolveCmdLine: the shell form runs in the config's Shell, /bin/sh -c by default. */
static json_t *command_line(struct state *st, char **args, bool json, bool empty_as_null)
{
    if (!args[0] && empty_as_null)
        return json_null();
    json_t *out = json_array();
    if (!json) {
        json_t *shell = json_object_get(st->cfg, "Shell");
        if (json_is_array(shell) && json_array_size(shell) > 0) {
            json_array_extend(out, shell);
        } else {
            json_array_append_new(out, json_string("/bin/sh"));
            json_array_append_new(out, json_string("-c"));
        }
    }
    for (size_t i = 0; args[i]; i++)
        json_array_append_new(out, json_string(args[i]));
    return out;
}

static int do_cmd(struct state *st, const struct instr *in, bt_err **err)
{
    bt_autostrv char **args = NULL;
    bool json;
    if (no_flags(in, err) < 0 || parse_maybe_json(in->rest, &args, &json, err) < 0)
        return -1;
    json_object_set_new(st->cfg, "Cmd", command_line(st, args, json, false));
    json_object_del(st->cfg, "ArgsEscaped");
    if (args[0])
        st->cmd_set = true;
    return 0;
}

static int do_entrypoint(struct state *st, const struct instr *in, bt_err **err)
{
    bt_autostrv char **args = NULL;
    bool json;
    if (no_flags(in, err) < 0 || parse_maybe_json(in->rest, &args, &json, err) < 0)
        return -1;
    json_object_set_new(st->cfg, "Entrypoint", command_line(st, args, json, true));
    json_object_del(st->cfg, "ArgsEscaped");
    if (!st->cmd_set)
        json_object_set_new(st->cfg, "Cmd", json_null());
    return 0;
}

/* network.ParsePortRange: "80" or "8000-8010" */
static bool port_range(const char *s, unsigned *start, unsigned *end)
{
    char *dash = strchr(s, '-');
    bt_autofree char *a = dash ? bt_xstrndup(s, (size_t)(dash - s)) : bt_xstrdup(s);
    const char *b = dash ? dash + 1 : a;
    for (const char *p = a; *p || p == a; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    for (const char *p = b; *p || p == b; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    if (strlen(a) > 5 || strlen(b) > 5)
        return false;
    *start = (unsigned)atoi(a);
    *end = (unsigned)atoi(b);
    return *start <= 65535 && *end <= 65535 && *start <= *end;
}

/* parsePortSpec: [ip:][hostPort:]containerPort[-end][/proto]; adds "port/proto" keys. */
static int expose_one(json_t *ports, const char *spec, bt_err **err)
{
    const char *last = strrchr(spec, ':');
    const char *cport = last ? last + 1 : spec;
    bt_autofree char *host = NULL;
    if (last) {
        const char *prev = last;
        while (prev > spec && prev[-1] != ':')
            prev--;
        host = bt_xstrndup(prev, (size_t)(last - prev));
    }
    const char *slash = strchr(cport, '/');
    bt_autofree char *port =
            slash ? bt_xstrndup(cport, (size_t)(slash - cport)) : bt_xstrdup(cport);
    bt_autofree char *proto = bt_xstrdup(slash && slash[1] ? slash + 1 : "tcp");
    if (!*port)
        return invalid(err, "no port specified: %s<empty>", spec);
    for (char *c = proto; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
        return invalid(err, "invalid proto: %s", proto);
    unsigned start, end, hstart, hend;
    if (!port_range(port, &start, &end))
        return invalid(err, "invalid containerPort: %s", port);
    if (host && *host) {
        if (!port_range(host, &hstart, &hend))
            return invalid(err, "invalid hostPort: %s", host);
        if (end - start != hend - hstart && end != start)
            return invalid(err, "invalid ranges specified for container and host Ports: %s and %s",
                           port, host);
    }
    for (unsigned p = start; p <= end; p++) {
        bt_autofree char *key = bt_xasprintf("%u/%s", p, proto);
        json_object_set_new(ports, key, json_object());
    }
    return 0;
}

static int do_expose(struct state *st, const struct instr *in, bt_err **err)
{
    bt_autostrv char **specs = split_blanks(in->rest);
    if (!specs[0])
        return invalid(err, "EXPOSE requires at least one argument");
    if (no_flags(in, err) < 0)
        return -1;
    json_t *ports = member_obj(st->cfg, "ExposedPorts");
    for (size_t i = 0; specs[i]; i++) {
        /* the one instruction where a variable may expand to several words */
        bt_autostrv char **words = changes_expand_words(specs[i], env_of(st), err);
        if (!words)
            return -1;
        for (size_t j = 0; words[j]; j++)
            if (expose_one(ports, words[j], err) < 0)
                return -1;
    }
    return 0;
}

/* USER, WORKDIR, STOPSIGNAL: the whole rest is one word, expanded. */
static char *one_word(struct state *st, const struct instr *in, const char *what, bt_err **err)
{
    if (!*in->rest) {
        invalid(err, "%s requires exactly one argument", what);
        return NULL;
    }
    if (no_flags(in, err) < 0)
        return NULL;
    return changes_expand(in->rest, env_of(st), err);
}

static int do_user(struct state *st, const struct instr *in, bt_err **err)
{
    bt_autofree char *user = one_word(st, in, "USER", err);
    if (!user)
        return -1;
    bt_json_set_str(st->cfg, "User", user);
    return 0;
}

static int do_workdir(struct state *st, const struct instr *in, bt_err **err)
{
    bt_autofree char *dir = one_word(st, in, "WORKDIR", err);
    if (!dir)
        return -1;
    if (!*dir)
        return invalid(err, "cannot normalize nothing");
    const char *cur = bt_json_get_str(st->cfg, "WorkingDir", "");
    bt_autofree char *joined = dir[0] == '/' ? bt_xstrdup(dir) : bt_xasprintf("/%s/%s", cur, dir);
    bt_autofree char *clean = bt_path_clean(joined);
    bt_json_set_str(st->cfg, "WorkingDir", clean);
    return 0;
}

/* moby/sys/signal's SignalMap for Linux */
static bool known_signal(const char *name)
{
    static const char *const names[] = {
            "ABRT", "ALRM",   "BUS",  "CHLD",   "CLD",   "CONT", "FPE",  "HUP",   "ILL",
            "INT",  "IO",     "IOT",  "KILL",   "PIPE",  "POLL", "PROF", "PWR",   "QUIT",
            "SEGV", "STKFLT", "STOP", "SYS",    "TERM",  "TRAP", "TSTP", "TTIN",  "TTOU",
            "URG",  "USR1",   "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    /* RTMIN+1..RTMIN+15, RTMAX-14..RTMAX-1 */
    int n;
    char rest;
    if (sscanf(name, "%*1[Rr]%*1[Tt]%*1[Mm]%*1[Ii]%*1[Nn]+%d%c", &n, &rest) == 1)
        return n >= 1 && n <= 15;
    if (sscanf(name, "%*1[Rr]%*1[Tt]%*1[Mm]%*1[Aa]%*1[Xx]-%d%c", &n, &rest) == 1)
        return n >= 1 && n <= 14;
    return false;
}

/* signal.ParseSignal: a non-zero number, or a name with or without "SIG" */
static bool valid_signal(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end && !isspace((unsigned char)*s))
        return v != 0;
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    return known_signal(name);
}

static int do_stopsignal(struct state *st, const struct instr *in, bt_err **err)
{
    bt_autofree char *sig = one_word(st, in, "STOPSIGNAL", err);
    if (!sig)
        return -1;
    if (!valid_signal(sig))
        return invalid(err, "invalid signal: %s", sig);
    bt_json_set_str(st->cfg, "StopSignal", sig);
    return 0;
}

static int do_volume(struct state *st, const struct instr *in, bt_err **err)
{
    bt_autostrv char **vols = NULL;
    if (parse_json_or_list(in->rest, &vols, err) < 0)
        return -1;
    if (!vols[0])
        return invalid(err, "VOLUME requires at least one argument");
    if (no_flags(in, err) < 0)
        return -1;
    json_t *volumes = member_obj(st->cfg, "Volumes");
    for (size_t i = 0; vols[i]; i++) {
        bt_autofree char *v = changes_expand(vols[i], env_of(st), err);
        if (!v)
            return -1;
        const char *b = v + strspn(v, " \t\r\n\v\f");
        size_t n = strlen(b);
        while (n && isspace((unsigned char)b[n - 1]))
            n--;
        if (!n)
            return invalid(err, "VOLUME specified can not be an empty string");
        bt_autofree char *trimmed = bt_xstrndup(b, n);
        json_object_set_new(volumes, trimmed, json_object());
    }
    return 0;
}

/* A HEALTHCHECK duration flag: 0 when empty; else at least 1ms */
static int health_duration(const char *name, const char *value, json_t *hc, const char *key,
                           bt_err **err)
{
    if (!value || !*value)
        return 0;
    int64_t ns;
    if (image_parse_duration(value, &ns, err) < 0)
        return -1;
    if (ns == 0)
        return 0;
    if (ns < 1000000)
        return invalid(err, "Interval \"%s\" cannot be less than 1ms", name);
    bt_json_set_int(hc, key, ns);
    return 0;
}

static const char *flag_value(char **flags, const char *name)
{
    const char *found = NULL;
    size_t n = strlen(name);
    for (size_t i = 0; flags[i]; i++) {
        if (strncmp(flags[i], "--", 2) == 0 && strncmp(flags[i] + 2, name, n) == 0 &&
            (flags[i][2 + n] == '=' || !flags[i][2 + n])) {
            found = flags[i][2 + n] == '=' ? flags[i] + 3 + n : "";
        }
    }
    return found;
}

static int health_flags(char **flags, bt_err **err)
{
    static const char *const known[] = {"interval", "timeout", "start-period", "start-interval",
                                        "retries"};
    for (size_t i = 0; flags[i]; i++) {
        if (strcmp(flags[i], "--") == 0)
            return 0;
        if (strncmp(flags[i], "--", 2) != 0)
            return invalid(err, "arg should start with -- : %s", flags[i]);
        size_t n = strcspn(flags[i] + 2, "=");
        bool ok = false;
        for (size_t k = 0; k < 5 && !ok; k++)
            ok = strlen(known[k]) == n && strncmp(known[k], flags[i] + 2, n) == 0;
        if (!ok)
            return invalid(err, "unknown flag: %.*s", (int)n + 2, flags[i]);
        if (!flags[i][2 + n])
            return invalid(err, "missing a value on flag: %s", flags[i]);
        for (size_t j = 0; j < i; j++)
            if (strncmp(flags[j], flags[i], n + 3) == 0)
                return invalid(err, "duplicate flag specified: --%.*s", (int)n, flags[i] + 2);
    }
    return 0;
}

static int do_healthcheck(struct state *st, const struct instr *in, bt_err **err)
{
    const char *rest = in->rest;
    size_t tlen = strcspn(rest, " \t\r\n\v\f");
    if (!tlen)
        return invalid(err, "HEALTHCHECK requires at least one argument");
    bt_autofree char *type = bt_xstrndup(rest, tlen);
    for (char *c = type; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    const char *cmd = rest + tlen + strspn(rest + tlen, " \t\r\n\v\f");
    bt_autostrv char **args = NULL;
    bool json;
    if (parse_maybe_json(cmd, &args, &json, err) < 0)
        return -1;
    bt_autoptr(json_t) hc = json_object();
    if (strcmp(type, "NONE") == 0) {
        if (args[0])
            return invalid(err, "HEALTHCHECK NONE takes no arguments");
        json_object_set_new(hc, "Test", json_pack("[s]", "NONE"));
        json_object_set(st->cfg, "Healthcheck", hc);
        return 0;
    }
    if (health_flags(in->flags, err) < 0)
        return -1;
    if (strcmp(type, "CMD") != 0)
        return invalid(err, "Unknown type \"%s\" in HEALTHCHECK (try CMD)", type);
    if (!args[0])
        return invalid(err, "Missing command after HEALTHCHECK CMD");
    json_t *test = json_array();
    json_object_set_new(hc, "Test", test);
    json_array_append_new(test, json_string(json ? "CMD" : "CMD-SHELL"));
    for (size_t i = 0; args[i]; i++)
        json_array_append_new(test, json_string(args[i]));
    static const char *const durations[][2] = {{"interval", "Interval"},
                                               {"timeout", "Timeout"},
                                               {"start-period", "StartPeriod"},
                                               {"start-interval", "StartInterval"}};
    for (size_t i = 0; i < 4; i++) {
        const char *v = flag_value(in->flags, durations[i][0]);
        if (health_duration(durations[i][0], v, hc, durations[i][1], err) < 0)
            return -1;
    }
    const char *retries = flag_value(in->flags, "retries");
    if (retries && *retries) {
        char *end;
        long long r = strtoll(retries, &end, 10);
        if (*end || end == retries || r > INT_MAX || r < INT_MIN)
            return invalid(err, "strconv.ParseInt: parsing \"%s\": invalid syntax", retries);
        if (r < 0)
            return invalid(err, "--retries cannot be negative (%lld)", r);
        if (r > 0)
            bt_json_set_int(hc, "Retries", r);
    }
    json_object_set(st->cfg, "Healthcheck", hc);
    return 0;
}

static int parse_only(const char *line, bt_err **err);

static int do_onbuild(struct state *st, const struct instr *in, bt_err **err)
{
    if (!*in->rest)
        return invalid(err, "ONBUILD requires at least one argument");
    size_t tlen = strcspn(in->rest, " \t\r\n\v\f");
    bt_autofree char *trigger = bt_xstrndup(in->rest, tlen);
    for (char *c = trigger; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if (parse_only(in->rest, err) < 0)
        return -1;
    if (strcmp(trigger, "ONBUILD") == 0)
        return invalid(err, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (strcmp(trigger, "MAINTAINER") == 0 || strcmp(trigger, "FROM") == 0)
        return invalid(err, "%s isn't allowed as an ONBUILD trigger", trigger);
    if (no_flags(in, err) < 0)
        return -1;
    /* the expression is the original line without "ONBUILD" and the blanks around it */
    const char *expr = in->line + strspn(in->line, " \t\r\n\v\f");
    expr += strlen("ONBUILD");
    expr += strspn(expr, " \t\r\n\v\f");
    json_array_append_new(member_arr(st->cfg, "OnBuild"), json_string(expr));
    return 0;
}

typedef int (*instr_fn)(struct state *st, const struct instr *in, bt_err **err);

/* dockerd's validCommitCommands */
static const struct {
    const char *name;
    instr_fn fn;
} instructions[] = {
        {"cmd", do_cmd},         {"entrypoint", do_entrypoint},   {"env", do_env},
        {"expose", do_expose},   {"healthcheck", do_healthcheck}, {"label", do_label},
        {"onbuild", do_onbuild}, {"stopsignal", do_stopsignal},   {"user", do_user},
        {"volume", do_volume},   {"workdir", do_workdir},
};

static instr_fn lookup(const char *cmd)
{
    for (size_t i = 0; i < sizeof(instructions) / sizeof(instructions[0]); i++)
        if (strcasecmp(cmd, instructions[i].name) == 0)
            return instructions[i].fn;
    return NULL;
}

/* splitCommand: the instruction word, then builder flags, then the arguments (trimmed). */
static void split_line(const char *line, char **cmd, char **rest, char ***flags)
{
    const char *p = line + strspn(line, " \t\r\n\v\f");
    size_t n = strcspn(p, " \t\r\n\v\f");
    *cmd = bt_xstrndup(p, n);
    p += n;
    p += strspn(p, " \t\r\n\v\f");
    const char *args = p;
    *flags = changes_builder_flags(p, &args);
    args += strspn(args, " \t\r\n\v\f");
    size_t len = strlen(args);
    while (len && isspace((unsigned char)args[len - 1]))
        len--;
    *rest = bt_xstrndup(args, len);
}

/* ONBUILD's trigger goes through its own line parser (not applied): its syntax errors count. */
static int parse_only(const char *line, bt_err **err)
{
    bt_autofree char *cmd = NULL;
    bt_autofree char *rest = NULL;
    bt_autostrv char **flags = NULL;
    split_line(line, &cmd, &rest, &flags);
    bt_autostrv char **args = NULL;
    bool json;
    if (!strcasecmp(cmd, "cmd") || !strcasecmp(cmd, "entrypoint") || !strcasecmp(cmd, "run") ||
        !strcasecmp(cmd, "shell"))
        return parse_maybe_json(rest, &args, &json, err);
    if (!strcasecmp(cmd, "volume") || !strcasecmp(cmd, "add") || !strcasecmp(cmd, "copy"))
        return parse_json_or_list(rest, &args, err);
    if (!strcasecmp(cmd, "env") || !strcasecmp(cmd, "label")) {
        bt_autofree char *upper = bt_xstrdup(cmd);
        for (char *c = upper; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        struct kv *kvs = parse_name_val(rest, upper, err);
        kvs_free(kvs);
        return kvs ? 0 : -1;
    }
    return 0;
}

json_t *image_changes_apply(const json_t *config, char *const *changes, bt_err **err)
{
    bt_autostrv char **lines = changes_logical_lines(changes);
    /* like BuildFromConfig, every instruction is checked before any is applied */
    for (size_t i = 0; lines[i]; i++) {
        bt_autofree char *cmd = NULL;
        bt_autofree char *rest = NULL;
        bt_autostrv char **flags = NULL;
        split_line(lines[i], &cmd, &rest, &flags);
        if (!lookup(cmd)) {
            bt_err_set(err, BT_E_INVALID, "%s is not a valid change command", cmd);
            return NULL;
        }
    }
    struct state st = {.cfg = config ? json_deep_copy(config) : json_object()};
    for (size_t i = 0; lines[i]; i++) {
        bt_autofree char *cmd = NULL;
        bt_autofree char *rest = NULL;
        bt_autostrv char **flags = NULL;
        split_line(lines[i], &cmd, &rest, &flags);
        struct instr in = {.cmd = cmd, .rest = rest, .flags = flags, .line = lines[i]};
        if (lookup(cmd)(&st, &in, err) < 0) {
            json_decref(st.cfg);
            return NULL;
        }
    }
    return st.cfg;
}
