/* SPDX-License-Identifier: Apache-2.0 */
/* berth version and berth info: docker's layouts, the client's part being Berth's. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "berth-version.h"
#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/endpoint.h"
#include "host/cli/util.h"
#include "host/format/tabwriter.h"
#include "host/format/template.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

/* docker's defaultVersionTemplate; getDetailsOrder is a range over the map (sorted keys). */
static const char version_template[] =
        "{{with .Client -}}\n"
        "Client:{{if ne .Platform nil}}{{if ne .Platform.Name \"\"}} "
        "{{.Platform.Name}}{{end}}{{end}}\n"
        " Version:\t{{.Version}}\n"
        " API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded "
        "from {{.DefaultAPIVersion}}){{end}}\n"
        " Git commit:\t{{.GitCommit}}\n"
        " Built:\t{{.BuildTime}}\n"
        " OS/Arch:\t{{.Os}}/{{.Arch}}\n"
        " Context:\t{{.Context}}\n"
        "{{- end}}\n"
        "\n"
        "{{- if ne .Server nil}}{{with .Server}}\n"
        "\n"
        "Server:{{if ne .Platform.Name \"\"}} {{.Platform.Name}}{{end}}\n"
        " {{- range $component := .Components}}\n"
        " {{$component.Name}}:\n"
        "  {{- if eq $component.Name \"Engine\" }}\n"
        "  Version:\t{{.Version}}\n"
        "  API version:\t{{index .Details \"ApiVersion\"}} (minimum version {{index .Details "
        "\"MinAPIVersion\"}})\n"
        "  Go version:\t{{index .Details \"GoVersion\"}}\n"
        "  Git commit:\t{{index .Details \"GitCommit\"}}\n"
        "  Built:\t{{index .Details \"BuildTime\"}}\n"
        "  OS/Arch:\t{{index .Details \"Os\"}}/{{index .Details \"Arch\"}}\n"
        "  Experimental:\t{{index .Details \"Experimental\"}}\n"
        "  {{- else }}\n"
        "  Version:\t{{$component.Version}}\n"
        "  {{- range $key, $value := $component.Details}}\n"
        "  {{$key}}:\t{{$value}}\n"
        "   {{- end}}\n"
        "  {{- end}}\n"
        " {{- end}}\n"
        " {{- end}}{{- end}}";

static const struct fmt_type version_types[] = {
        {"", "system.versionInfo"},
        {"Client", "system.clientVersion"},
        {"Client.Platform", "*system.platformInfo"},
        {"Server", "*types.Version"},
        {"Server.Platform", "struct { Name string }"},
        {"Server.Components", "[]types.ComponentVersion"},
        {"Server.Components.[]", "types.ComponentVersion"},
        {"Server.Components.[].Details", "map[string]string"},
        {NULL, NULL},
};

static const char *arch(void)
{
    static struct utsname u;
    if (uname(&u) != 0)
        return "unknown";
    if (strcmp(u.machine, "x86_64") == 0)
        return "amd64";
    if (strcmp(u.machine, "aarch64") == 0)
        return "arm64";
    return u.machine;
}

/* time.ANSIC of an RFC 3339 time, or the text as it is. */
static char *ansic(const char *rfc3339)
{
    int64_t ns;
    if (!rfc3339 || !fmt_parse_time(rfc3339, &ns))
        return bt_xstrdup(rfc3339 ? rfc3339 : "");
    time_t t = (time_t)(ns / FMT_NS_PER_SEC);
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
    return bt_xstrdup(buf);
}

static json_t *client_version(struct berth_cli *cli, struct cl_client *c)
{
    bt_autofree char *ctx = berth_context_name(&cli->g);
    json_t *v = json_object();
    bt_json_set_str(v, "Platform", "");
    json_object_set_new(v, "Platform", json_pack("{s:s}", "Name", "Berth"));
    bt_json_set_str(v, "Version", BERTH_VERSION);
    bt_json_set_str(v, "ApiVersion", c ? cl_api_version(c) : CL_API_VERSION);
    bt_json_set_str(v, "DefaultAPIVersion", CL_API_VERSION);
    bt_json_set_str(v, "GitCommit", BERTH_GIT_COMMIT);
    bt_json_set_str(v, "Os", "linux");
    bt_json_set_str(v, "Arch", arch());
    bt_json_set_str(v, "BuildTime", "");
    bt_json_set_str(v, "Context", ctx);
    return v;
}

/* The one Go field whose name is not its JSON key: APIVersion (`json:"ApiVersion"`) of the
 * client's and the engine's versions. */
static int go_fields(void *ctx, const char *name, const char *receiver_path, const json_t *receiver,
                     const json_t *const *args, size_t nargs, json_t **result, bt_err **err)
{
    (void)ctx, (void)args, (void)nargs, (void)err;
    if (strcmp(name, "APIVersion") != 0 || !json_is_object(receiver) ||
        (strcmp(receiver_path, "Client") != 0 && strcmp(receiver_path, "Server") != 0))
        return 0;
    *result = json_string(bt_json_get_str(receiver, "ApiVersion", ""));
    return 1;
}

int berth_cmd_version(struct berth_cli *cli, int argc, char **argv)
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
    bt_autofree char *usage = bt_xasprintf("%s version [OPTIONS]", cli->prog);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Show the Berth version information",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, "version", argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, "version", args, 0, 0)) != 0)
        return rc;
    bt_err *err = NULL;
    const char *text = !format || !*format           ? version_template
                       : strcmp(format, "json") == 0 ? "{{json .}}"
                                                     : format;
    bt_autoptr(fmt_template) t = fmt_template_parse(text, &err);
    if (!t) {
        bt_err_wrap(&err, "template parsing error");
        return berth_fail(cli, err, 64);
    }
    struct cl_client *c = berth_client(cli, &err);
    bt_autoptr(json_t) server = NULL;
    bt_err *serr = NULL;
    if (c) {
        server = cl_json(c, "GET", "/version", NULL, NULL, &serr);
    } else {
        serr = err;
        err = NULL;
    }
    json_t *comps = bt_json_get_arr(server, "Components");
    size_t i;
    json_t *comp;
    json_array_foreach (comps, i, comp) {
        json_t *d = bt_json_get_obj(comp, "Details");
        if (strcmp(bt_json_get_str(comp, "Name", ""), "Engine") == 0 && d) {
            bt_autofree char *bt = ansic(bt_json_get_str(d, "BuildTime", NULL));
            bt_json_set_str(d, "BuildTime", bt);
        }
    }
    bt_autoptr(json_t) data = json_object();
    json_object_set_new(data, "Client", client_version(cli, c));
    json_object_set(data, "Server", server ? server : json_null());
    struct fmt_exec_opts eo = {.types = version_types, .method = go_fields};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    int xrc = fmt_template_exec(t, data, &eo, &out, &err);
    bt_strbuf_append_c(&out, '\n');
    bt_autostrbuf struct bt_strbuf aligned = BT_STRBUF_INIT;
    struct fmt_tab_opts tab = {20, 1, 1, ' ', 0};
    fmt_tabwriter_format(out.buf, out.len, &tab, &aligned);
    fputs(bt_strbuf_str(&aligned), cli->out);
    if (serr)
        return berth_fail(cli, serr, BERTH_EXIT_FAIL);
    if (xrc < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return 0;
}

/* ---- info ---- */

static void line(FILE *o, const char *label, const char *value)
{
    fprintf(o, "%s %s\n", label, value);
}

static void nonempty(FILE *o, const char *label, const char *value)
{
    if (value && *value)
        line(o, label, value);
}

static void line_int(FILE *o, const char *label, int64_t v)
{
    fprintf(o, "%s %lld\n", label, (long long)v);
}

static void line_bool(FILE *o, const char *label, bool v)
{
    line(o, label, v ? "true" : "false");
}

static void join_line(FILE *o, const char *label, const json_t *arr)
{
    fprintf(o, "%s", label);
    fputc(' ', o);
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v)
        fprintf(o, "%s%s", i ? " " : "", json_string_value(v));
    fputc('\n', o);
}

static void server_info(FILE *o, FILE *e, const json_t *in)
{
    line_int(o, " Containers:", bt_json_get_int(in, "Containers", 0));
    line_int(o, "  Running:", bt_json_get_int(in, "ContainersRunning", 0));
    line_int(o, "  Paused:", bt_json_get_int(in, "ContainersPaused", 0));
    line_int(o, "  Stopped:", bt_json_get_int(in, "ContainersStopped", 0));
    line_int(o, " Images:", bt_json_get_int(in, "Images", 0));
    nonempty(o, " Server Version:", bt_json_get_str(in, "ServerVersion", ""));
    nonempty(o, " Storage Driver:", bt_json_get_str(in, "Driver", ""));
    size_t i;
    json_t *p;
    json_array_foreach (bt_json_get_arr(in, "DriverStatus"), i, p)
        fprintf(o, "  %s: %s\n", json_string_value(json_array_get(p, 0)),
                json_string_value(json_array_get(p, 1)));
    json_array_foreach (bt_json_get_arr(in, "SystemStatus"), i, p)
        fprintf(o, " %s: %s\n", json_string_value(json_array_get(p, 0)),
                json_string_value(json_array_get(p, 1)));
    nonempty(o, " Logging Driver:", bt_json_get_str(in, "LoggingDriver", ""));
    nonempty(o, " Cgroup Driver:", bt_json_get_str(in, "CgroupDriver", ""));
    nonempty(o, " Cgroup Version:", bt_json_get_str(in, "CgroupVersion", ""));
    json_t *plugins = bt_json_get_obj(in, "Plugins");
    fprintf(o, " Plugins:\n");
    join_line(o, "  Volume:", bt_json_get_arr(plugins, "Volume"));
    join_line(o, "  Network:", bt_json_get_arr(plugins, "Network"));
    if (json_array_size(bt_json_get_arr(plugins, "Authorization")))
        join_line(o, "  Authorization:", bt_json_get_arr(plugins, "Authorization"));
    join_line(o, "  Log:", bt_json_get_arr(plugins, "Log"));
    const char *swarm = bt_json_get_str(bt_json_get_obj(in, "Swarm"), "LocalNodeState", "");
    line(o, " Swarm:", swarm);
    json_t *rt = bt_json_get_obj(in, "Runtimes");
    if (json_object_size(rt)) {
        fprintf(o, " Runtimes:");
        const char *k;
        json_t *v;
        json_object_foreach (rt, k, v)
            fprintf(o, " %s", k);
        fputc('\n', o);
        line(o, " Default Runtime:", bt_json_get_str(in, "DefaultRuntime", ""));
    }
    if (strcmp(bt_json_get_str(in, "OSType", ""), "linux") == 0) {
        line(o, " Init Binary:", bt_json_get_str(in, "InitBinary", ""));
        line(o, " containerd version:",
             bt_json_get_str(bt_json_get_obj(in, "ContainerdCommit"), "ID", ""));
        line(o, " runc version:", bt_json_get_str(bt_json_get_obj(in, "RuncCommit"), "ID", ""));
        line(o, " init version:", bt_json_get_str(bt_json_get_obj(in, "InitCommit"), "ID", ""));
        json_t *so = bt_json_get_arr(in, "SecurityOptions");
        if (json_array_size(so)) {
            fprintf(o, " Security Options:\n");
            json_t *s;
            json_array_foreach (so, i, s) {
                /* "name=seccomp,profile=builtin" */
                const char *text = json_string_value(s);
                if (!text)
                    continue;
                bt_autofree char *copy = bt_xstrdup(text);
                char *save = NULL;
                for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                    if (strncmp(kv, "name=", 5) == 0)
                        fprintf(o, "  %s\n", kv + 5);
                    else if (strncmp(kv, "profile=", 8) == 0)
                        fprintf(o, "   Profile: %s\n", kv + 8);
                }
            }
        }
    }
    nonempty(o, " Kernel Version:", bt_json_get_str(in, "KernelVersion", ""));
    nonempty(o, " Operating System:", bt_json_get_str(in, "OperatingSystem", ""));
    nonempty(o, " OSType:", bt_json_get_str(in, "OSType", ""));
    nonempty(o, " Architecture:", bt_json_get_str(in, "Architecture", ""));
    line_int(o, " CPUs:", bt_json_get_int(in, "NCPU", 0));
    bt_autostrbuf struct bt_strbuf mem = BT_STRBUF_INIT;
    fmt_bytes_size((double)bt_json_get_int(in, "MemTotal", 0), &mem);
    line(o, " Total Memory:", bt_strbuf_str(&mem));
    nonempty(o, " Name:", bt_json_get_str(in, "Name", ""));
    nonempty(o, " ID:", bt_json_get_str(in, "ID", ""));
    line(o, " Docker Root Dir:", bt_json_get_str(in, "DockerRootDir", ""));
    line_bool(o, " Debug Mode:", bt_json_get_bool(in, "Debug", false));
    if (bt_json_get_bool(in, "Debug", false)) {
        line_int(o, "  File Descriptors:", bt_json_get_int(in, "NFd", 0));
        line_int(o, "  Goroutines:", bt_json_get_int(in, "NGoroutines", 0));
        line(o, "  System Time:", bt_json_get_str(in, "SystemTime", ""));
        line_int(o, "  EventsListeners:", bt_json_get_int(in, "NEventsListener", 0));
    }
    nonempty(o, " HTTP Proxy:", bt_json_get_str(in, "HttpProxy", ""));
    nonempty(o, " HTTPS Proxy:", bt_json_get_str(in, "HttpsProxy", ""));
    nonempty(o, " No Proxy:", bt_json_get_str(in, "NoProxy", ""));
    json_t *labels = bt_json_get_arr(in, "Labels");
    if (json_array_size(labels)) {
        fprintf(o, " Labels:\n");
        json_t *l;
        json_array_foreach (labels, i, l)
            fprintf(o, "  %s\n", json_string_value(l));
    }
    line_bool(o, " Experimental:", bt_json_get_bool(in, "ExperimentalBuild", false));
    json_t *reg = bt_json_get_obj(in, "RegistryConfig");
    json_t *cidrs = bt_json_get_arr(reg, "InsecureRegistryCIDRs");
    json_t *idx = bt_json_get_obj(reg, "IndexConfigs");
    if (json_array_size(cidrs) || json_object_size(idx)) {
        fprintf(o, " Insecure Registries:\n");
        const char *k;
        json_t *v;
        json_object_foreach (idx, k, v)
            if (!bt_json_get_bool(v, "Secure", true))
                fprintf(o, "  %s\n", bt_json_get_str(v, "Name", k));
        json_t *cidr;
        json_array_foreach (cidrs, i, cidr)
            fprintf(o, "  %s\n", json_string_value(cidr));
    }
    json_t *mirrors = bt_json_get_arr(reg, "Mirrors");
    if (json_array_size(mirrors)) {
        fprintf(o, " Registry Mirrors:\n");
        json_t *m;
        json_array_foreach (mirrors, i, m)
            fprintf(o, "  %s\n", json_string_value(m));
    }
    line_bool(o, " Live Restore Enabled:", bt_json_get_bool(in, "LiveRestoreEnabled", false));
    nonempty(o, " Product License:", bt_json_get_str(in, "ProductLicense", ""));
    fputc('\n', o);
    fflush(o);
    json_t *w;
    json_array_foreach (bt_json_get_arr(in, "Warnings"), i, w)
        fprintf(e, "%s\n", json_string_value(w));
}

int berth_cmd_info(struct berth_cli *cli, int argc, char **argv)
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
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Display system-wide information",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) != 0)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(fmt_template) t = NULL;
    if (format && *format) {
        t = fmt_template_parse(strcmp(format, "json") == 0 ? "{{json .}}" : format, &err);
        if (!t) {
            bt_err_wrap(&err, "template parsing error");
            return berth_fail(cli, err, 64);
        }
    }
    struct cl_client *c = berth_client(cli, &err);
    bt_autoptr(json_t) in = c ? cl_json(c, "GET", "/info", NULL, NULL, &err) : NULL;
    bt_autofree char *ctx = berth_context_name(&cli->g);
    if (t) {
        if (!in)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        json_t *ci = json_pack("{s:s, s:s, s:b}", "Version", BERTH_VERSION, "Context", ctx, "Debug",
                               cli->g.debug);
        json_object_set_new(in, "ClientInfo", ci);
        struct fmt_exec_opts eo = {0};
        bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
        if (fmt_template_exec(t, in, &eo, &out, &err) < 0) {
            bt_err_wrap(&err, "template parsing error");
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        }
        fprintf(cli->out, "%s\n", bt_strbuf_str(&out));
        return 0;
    }
    fprintf(cli->out, "Client:\n");
    line(cli->out, " Version:   ", BERTH_VERSION);
    line(cli->out, " Context:   ", ctx);
    line_bool(cli->out, " Debug Mode:", cli->g.debug);
    fprintf(cli->out, "\nServer:\n");
    if (!in) {
        fflush(cli->out);
        if (cl_err_is_daemon(err))
            fprintf(cli->err, "ERROR: Error response from daemon: %s\n", bt_err_msg(err));
        else
            fprintf(cli->err, "ERROR: %s\n", bt_err_msg(err));
        bt_err_free(err);
        fprintf(cli->err, "errors pretty printing info\n");
        return BERTH_EXIT_FAIL;
    }
    server_info(cli->out, cli->err, in);
    return 0;
}
