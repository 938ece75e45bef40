/* SPDX-License-Identifier: Apache-2.0 */
/* berth context create|ls|use|rm|inspect|show: docker's contexts, in ~/.berth. */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/endpoint.h"
#include "host/cli/util.h"
#include "host/context/context.h"
#include "host/format/list.h"
#include "host/format/template.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

#define CONTEXT_TABLE \
    "table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}"

static const char *cfg_dir(struct berth_cli *cli)
{
    return cli->g.config_dir ? cli->g.config_dir : berth_default_config_dir();
}

/* --docker "host=...,ca=...,cert=...,key=...,skip-tls-verify=true" */
static int parse_docker(const char *spec, struct ctx *c, bt_err **err)
{
    bt_autofree char *copy = bt_xstrdup(spec);
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return bt_err_set(err, BT_E_INVALID, "%s must be formatted as key=value", kv);
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(kv, "host") == 0) {
            free(c->host);
            c->host = bt_xstrdup(v);
        } else if (strcmp(kv, "ca") == 0) {
            c->ca = bt_xstrdup(v);
        } else if (strcmp(kv, "cert") == 0) {
            c->cert = bt_xstrdup(v);
        } else if (strcmp(kv, "key") == 0) {
            c->key = bt_xstrdup(v);
        } else if (strcmp(kv, "skip-tls-verify") == 0) {
            c->skip_tls_verify = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
        } else {
            return bt_err_set(err, BT_E_INVALID,
                              "unable to create docker endpoint config: unrecognized config key: "
                              "%s",
                              kv);
        }
    }
    return 0;
}

static int context_create(struct berth_cli *cli, int argc, char **argv)
{
    const char *description = NULL, *docker = NULL, *from = NULL;
    struct bt_flag flags[] = {
            {.name = "description",
             .type = BT_FLAG_STRING,
             .value = &description,
             .usage = "Description of the context"},
            {.name = "docker",
             .type = BT_FLAG_STRING,
             .value = &docker,
             .usage = "set the docker endpoint",
             .metavar = "stringToString"},
            {.name = "from",
             .type = BT_FLAG_STRING,
             .value = &from,
             .usage = "create context from a named context"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] CONTEXT", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Create a context",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 1)) != 0)
        return rc;
    bt_err *err = NULL;
    struct ctx c = {.name = bt_xstrdup(args[0]), .description = bt_xstrdup_or_null(description)};
    if (from || !docker) {
        /* a copy of another context (the current one by default) */
        bt_autofree char *src = from ? bt_xstrdup(from) : berth_context_name(&cli->g);
        if (strcmp(src, CTX_DEFAULT) == 0) {
            struct cl_endpoint ep;
            if (berth_default_endpoint(&cli->g, &ep, &err) == 0) {
                c.host = bt_xstrdup(ep.url);
                cl_endpoint_clear(&ep);
            }
        } else {
            struct ctx s;
            if (ctx_load(cfg_dir(cli), src, &s, &err) == 0) {
                c.host = bt_xstrdup_or_null(s.host);
                c.skip_tls_verify = s.skip_tls_verify;
                c.ca = bt_xstrdup_or_null(s.ca);
                c.cert = bt_xstrdup_or_null(s.cert);
                c.key = bt_xstrdup_or_null(s.key);
                ctx_clear(&s);
            }
        }
    }
    if (!err && docker)
        parse_docker(docker, &c, &err);
    if (!err && c.host) {
        struct cl_endpoint ep;
        if (cl_endpoint_parse(c.host, false, &ep, &err) == 0)
            cl_endpoint_clear(&ep);
        else
            bt_err_wrap(&err,
                        "unable to create docker endpoint config: unable to parse docker "
                        "host `%s`",
                        c.host);
    }
    if (!err)
        ctx_create(cfg_dir(cli), &c, &err);
    ctx_clear(&c);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fprintf(cli->out, "%s\n", args[0]);
    fflush(cli->out);
    fprintf(cli->err, "Successfully created context \"%s\"\n", args[0]);
    return 0;
}

static json_t *ctx_row(const char *name, const char *desc, const char *ep, bool current,
                       const char *error)
{
    json_t *r = json_object();
    bt_json_set_bool(r, "Current", current);
    bt_json_set_str(r, "Description", desc ? desc : "");
    bt_json_set_str(r, "DockerEndpoint", ep ? ep : "");
    bt_autofree char *e = berth_ellipsis(error ? error : "", 45);
    bt_json_set_str(r, "Error", e);
    bt_json_set_str(r, "Name", name);
    return r;
}

static int context_ls(struct berth_cli *cli, int argc, char **argv)
{
    const char *format = NULL;
    bool quiet = false;
    struct bt_flag flags[] = {
            {.name = "format",
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = "Format output using a custom template:\n'table':            Print output "
                      "in table format with column headers (default)\n'table TEMPLATE':   Print "
                      "output in table format using the given Go template\n'json':             "
                      "Print in JSON format\n'TEMPLATE':         Print output using the given Go "
                      "template.\nRefer to https://docs.docker.com/go/formatting/ for more "
                      "information about formatting output with templates"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Only show context names"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage, .description = "List contexts", .flags = flags, .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) != 0)
        return rc;
    bt_err *err = NULL;
    struct ctx *list = NULL;
    size_t n = 0;
    if (ctx_list(cfg_dir(cli), &list, &n, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autofree char *cur = berth_context_name(&cli->g);
    bt_autoptr(json_t) rows = json_array();
    /* "default" sorts among the others (natural order; names are simple here) */
    struct cl_endpoint dep = {0};
    bt_err *derr = NULL;
    berth_default_endpoint(&cli->g, &dep, &derr);
    bool found = strcmp(cur, CTX_DEFAULT) == 0;
    json_t *def = ctx_row(CTX_DEFAULT, "Current DOCKER_HOST based configuration", dep.url,
                          strcmp(cur, CTX_DEFAULT) == 0, derr ? bt_err_msg(derr) : NULL);
    bool def_done = false;
    for (size_t i = 0; i < n; i++) {
        if (!def_done && strcmp(CTX_DEFAULT, list[i].name) < 0) {
            json_array_append_new(rows, def);
            def_done = true;
        }
        bool current = strcmp(cur, list[i].name) == 0;
        found = found || current;
        json_array_append_new(
                rows, ctx_row(list[i].name, list[i].description, list[i].host, current, NULL));
    }
    if (!def_done)
        json_array_append_new(rows, def);
    if (!found) {
        bt_autofree char *msg = bt_xasprintf("context \"%s\": context not found", cur);
        json_array_append_new(rows, ctx_row(cur, "", "", true, msg));
    }
    cl_endpoint_clear(&dep);
    bt_err_free(derr);
    ctx_list_free(list, n);
    const char *fmt = quiet && (!format || !*format) ? "{{.Name}}" : format;
    bt_autoptr(json_t) header =
            json_pack("{s:s, s:s, s:s, s:s}", "Name", "NAME", "Description", "DESCRIPTION",
                      "DockerEndpoint", "DOCKER ENDPOINT", "Error", "ERROR");
    static const struct fmt_type types[] = {{"", "*formatter.clientContextContext"}, {NULL, NULL}};
    struct fmt_exec_opts eo = {.types = types};
    struct fmt_list l = {.opts = &eo,

                         .format = fmt,
                         .default_format = CONTEXT_TABLE,
                         .header = header,
                         .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (fmt_list_render(&l, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    const char *dh = getenv("DOCKER_HOST");
    if (dh && *dh) {
        fflush(cli->out);
        fprintf(cli->err, "Warning: DOCKER_HOST environment variable overrides the active "
                          "context. To use a context, either set the global --context flag, or "
                          "unset DOCKER_HOST environment variable.\n");
    }
    return 0;
}

static int context_use(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage = bt_xasprintf("%s %s CONTEXT", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Set the current docker context",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 1)) != 0)
        return rc;
    bt_err *err = NULL;
    const char *name = args[0];
    if (strcmp(name, CTX_DEFAULT) != 0) {
        struct ctx c;
        if (ctx_validate_name(name, &err) < 0 || ctx_load(cfg_dir(cli), name, &c, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        ctx_clear(&c);
    }
    if (ctx_set_current(cfg_dir(cli), name, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fprintf(cli->out, "%s\n", name);
    fflush(cli->out);
    fprintf(cli->err, "Current context is now \"%s\"\n", name);
    const char *dh = getenv("DOCKER_HOST");
    if (strcmp(name, CTX_DEFAULT) != 0 && dh && *dh)
        fprintf(cli->err,
                "Warning: DOCKER_HOST environment variable overrides the active context. To use "
                "\"%s\", either set the global --context flag, or unset DOCKER_HOST environment "
                "variable.\n",
                name);
    return 0;
}

static int context_rm(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false;
    struct bt_flag flags[] = {
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Force the removal of a context in use"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s CONTEXT [CONTEXT...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Remove one or more contexts",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    bt_autofree char *cur = berth_context_name(&cli->g);
    bt_autostrbuf struct bt_strbuf errors = BT_STRBUF_INIT;
    for (char **n = args; *n; n++) {
        bt_autoerr bt_err *err = NULL;
        if (strcmp(*n, CTX_DEFAULT) == 0) {
            bt_err_set(&err, BT_E_INVALID, "context \"default\" cannot be removed");
        } else if (strcmp(*n, cur) == 0 && !force) {
            bt_err_set(&err, BT_E_CONFLICT, "context \"%s\" is in use, set -f flag to force remove",
                       *n);
        } else {
            if (strcmp(*n, cur) == 0)
                ctx_set_current(cfg_dir(cli), CTX_DEFAULT, NULL);
            if (ctx_remove(cfg_dir(cli), *n, &err) < 0 && force && bt_err_is(err, BT_E_NOT_FOUND))
                bt_err_clear(&err);
        }
        if (err) {
            bt_strbuf_appendf(&errors, "%s%s", errors.len ? "\n" : "", bt_err_msg(err));
            rc = BERTH_EXIT_FAIL;
            continue;
        }
        fprintf(cli->out, "%s\n", *n);
    }
    if (errors.len) {
        fflush(cli->out);
        fprintf(cli->err, "%s\n", bt_strbuf_str(&errors));
    }
    return rc < 0 ? 0 : rc;
}

static int context_inspect(struct berth_cli *cli, int argc, char **argv)
{
    const char *format = NULL;
    struct bt_flag flags[] = {
            {.name = "format",
             .shorthand = 'f',
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = "Format output using a custom template:\n'json':             Print in "
                      "JSON format\n'TEMPLATE':         Print output using the given Go "
                      "template.\nRefer to https://docs.docker.com/go/formatting/ for more "
                      "information about formatting output with templates"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] [CONTEXT] [CONTEXT...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Display detailed information on one or more contexts",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    bool json_fmt = format && strcmp(format, "json") == 0;
    bt_autoptr(fmt_template) t = NULL;
    if (format && *format && !json_fmt) {
        bt_err *err = NULL;
        t = fmt_template_parse(format, &err);
        if (!t) {
            bt_err_wrap(&err, "template parsing error");
            return berth_fail(cli, err, 64);
        }
    }
    bt_autofree char *cur = berth_context_name(&cli->g);
    char *only[] = {cur, NULL};
    char **names = args[0] ? args : only;
    bt_autoptr(json_t) all = json_array();
    rc = 0;
    for (char **n = names; *n; n++) {
        json_t *o = json_object();
        bt_json_set_str(o, "Name", *n);
        json_t *ep = json_object();
        json_t *md = json_object();
        json_t *tls = json_array();
        bt_autofree char *meta_dir = NULL, *tls_dir = NULL;
        if (strcmp(*n, CTX_DEFAULT) == 0) {
            struct cl_endpoint e = {0};
            berth_default_endpoint(&cli->g, &e, NULL);
            bt_json_set_str(ep, "Host", e.url ? e.url : "");
            bt_json_set_bool(ep, "SkipTLSVerify", e.tls && !e.tls_verify);
            cl_endpoint_clear(&e);
            meta_dir = bt_xstrdup("<IN MEMORY>");
            tls_dir = bt_xstrdup("<IN MEMORY>");
        } else {
            struct ctx c;
            bt_err *err = NULL;
            if (ctx_load(cfg_dir(cli), *n, &c, &err) < 0) {
                json_decref(o);
                json_decref(ep);
                json_decref(md);
                json_decref(tls);
                rc = berth_fail(cli, err, BERTH_EXIT_FAIL);
                continue;
            }
            if (c.description && *c.description)
                bt_json_set_str(md, "Description", c.description);
            bt_json_set_str(ep, "Host", c.host ? c.host : "");
            bt_json_set_bool(ep, "SkipTLSVerify", c.skip_tls_verify);
            const char *files[3][2] = {{c.ca, "ca.pem"}, {c.cert, "cert.pem"}, {c.key, "key.pem"}};
            for (int i = 0; i < 3; i++)
                if (files[i][0])
                    json_array_append_new(tls, json_string(files[i][1]));
            ctx_clear(&c);
            meta_dir = ctx_store_dir(cfg_dir(cli), "meta", *n);
            tls_dir = ctx_store_dir(cfg_dir(cli), "tls", *n);
        }
        json_object_set_new(o, "Metadata", md);
        json_object_set_new(o, "Endpoints", json_pack("{s:o}", "docker", ep));
        json_t *material = json_object();
        if (json_array_size(tls))
            json_object_set(material, "docker", tls);
        json_decref(tls);
        json_object_set_new(o, "TLSMaterial", material);
        json_object_set_new(o, "Storage",
                            json_pack("{s:s, s:s}", "MetadataPath", meta_dir, "TLSPath", tls_dir));
        json_array_append_new(all, o);
    }
    if (t) {
        /* the documents as maps (docker's are structs: the same fields) */
        bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
        struct fmt_exec_opts raw = {.objects_are_maps = true, .missing_key_error = true};
        size_t i;
        json_t *o;
        json_array_foreach (all, i, o) {
            bt_err *err = NULL;
            if (fmt_template_exec(t, o, &raw, &out, &err) < 0) {
                fputs(bt_strbuf_str(&out), cli->out);
                bt_err_wrap(&err, "template parsing error");
                return berth_fail(cli, err, BERTH_EXIT_FAIL);
            }
            bt_strbuf_append_c(&out, '\n');
        }
        fputs(bt_strbuf_str(&out), cli->out);
        return rc;
    }
    /* Go's encoder escapes < > & ("\u003cIN MEMORY\u003e") */
    bt_autofree char *text =
            bt_json_html_escape(json_fmt ? bt_json_dumps(all) : bt_json_dumps_pretty(all, 4));
    fprintf(cli->out, "%s\n", text);
    return rc;
}

static int context_show(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage = bt_xasprintf("%s %s", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Print the name of the current context",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) != 0)
        return rc;
    bt_autofree char *cur = berth_context_name(&cli->g);
    fprintf(cli->out, "%s\n", cur);
    return 0;
}

int berth_cmd_context_create(struct berth_cli *cli, int argc, char **argv)
{
    return context_create(cli, argc, argv);
}

int berth_cmd_context_ls(struct berth_cli *cli, int argc, char **argv)
{
    return context_ls(cli, argc, argv);
}

int berth_cmd_context_use(struct berth_cli *cli, int argc, char **argv)
{
    return context_use(cli, argc, argv);
}

int berth_cmd_context_rm(struct berth_cli *cli, int argc, char **argv)
{
    return context_rm(cli, argc, argv);
}

int berth_cmd_context_inspect(struct berth_cli *cli, int argc, char **argv)
{
    return context_inspect(cli, argc, argv);
}

int berth_cmd_context_show(struct berth_cli *cli, int argc, char **argv)
{
    return context_show(cli, argc, argv);
}
