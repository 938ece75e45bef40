/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth inspect, container inspect, image inspect: the engine's JSON, indented, or a Go
 * template per object. As docker's inspector: the template runs on the typed object (the
 * Go types below decide how maps, structs and nil values print); when that fails it runs
 * again on the raw JSON as maps with missingkey=error; a template that does not parse exits
 * with 64.
 */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/format/template.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

static const struct fmt_type container_types[] = {
        {"", "container.InspectResponse"},
        {"State", "*container.State"},
        {"State.Health", "*container.Health"},
        {"Args", "[]string"},
        {"ExecIDs", "[]string"},
        {"HostConfig", "*container.HostConfig"},
        {"HostConfig.Binds", "[]string"},
        {"HostConfig.LogConfig", "container.LogConfig"},
        {"HostConfig.LogConfig.Config", "map[string]string"},
        {"HostConfig.PortBindings", "nat.PortMap"},
        {"HostConfig.RestartPolicy", "container.RestartPolicy"},
        {"HostConfig.CapAdd", "strslice.StrSlice"},
        {"HostConfig.CapDrop", "strslice.StrSlice"},
        {"HostConfig.Dns", "[]string"},
        {"HostConfig.DnsOptions", "[]string"},
        {"HostConfig.DnsSearch", "[]string"},
        {"HostConfig.ExtraHosts", "[]string"},
        {"HostConfig.GroupAdd", "[]string"},
        {"HostConfig.Links", "[]string"},
        {"HostConfig.SecurityOpt", "[]string"},
        {"HostConfig.StorageOpt", "map[string]string"},
        {"HostConfig.Tmpfs", "map[string]string"},
        {"HostConfig.Sysctls", "map[string]string"},
        {"HostConfig.Annotations", "map[string]string"},
        {"HostConfig.ConsoleSize", "[2]uint"},
        {"HostConfig.Ulimits", "[]*container.Ulimit"},
        {"HostConfig.Devices", "[]container.DeviceMapping"},
        {"HostConfig.Mounts", "[]mount.Mount"},
        {"HostConfig.MaskedPaths", "[]string"},
        {"HostConfig.ReadonlyPaths", "[]string"},
        {"HostConfig.VolumesFrom", "[]string"},
        {"GraphDriver", "storage.DriverData"},
        {"GraphDriver.Data", "map[string]string"},
        {"Mounts", "[]container.MountPoint"},
        {"Mounts.[]", "container.MountPoint"},
        /* not in the Go struct: docker reads it from the raw map, as interface values */
        {"Volumes", "map[string]interface {}"},
        {"Config", "*container.Config"},
        {"Config.ExposedPorts", "nat.PortSet"},
        {"Config.Env", "[]string"},
        {"Config.Cmd", "strslice.StrSlice"},
        {"Config.Entrypoint", "strslice.StrSlice"},
        {"Config.Volumes", "map[string]struct {}"},
        {"Config.OnBuild", "[]string"},
        {"Config.Labels", "map[string]string"},
        {"Config.Shell", "strslice.StrSlice"},
        {"Config.Healthcheck", "*container.HealthConfig"},
        {"NetworkSettings", "*container.NetworkSettings"},
        {"NetworkSettings.Ports", "nat.PortMap"},
        {"NetworkSettings.Networks", "map[string]*network.EndpointSettings"},
        {NULL, NULL},
};

static const struct fmt_type image_types[] = {
        {"", "image.InspectResponse"},
        {"RepoTags", "[]string"},
        {"RepoDigests", "[]string"},
        {"Config", "*v1.DockerOCIImageConfig"},
        {"Config.ExposedPorts", "map[string]struct {}"},
        {"Config.Env", "[]string"},
        {"Config.Cmd", "[]string"},
        {"Config.Entrypoint", "[]string"},
        {"Config.Volumes", "map[string]struct {}"},
        {"Config.OnBuild", "[]string"},
        {"Config.Labels", "map[string]string"},
        {"Config.Shell", "[]string"},
        {"GraphDriver", "storage.DriverData"},
        {"GraphDriver.Data", "map[string]string"},
        {"RootFS", "image.RootFS"},
        {"RootFS.Layers", "[]string"},
        {"Metadata", "image.Metadata"},
        {NULL, NULL},
};

enum kind { K_ANY, K_CONTAINER, K_IMAGE };

struct found {
    json_t *doc;
    const struct fmt_type *types;
};

/* GET the object; BT_E_NOT_FOUND worded as docker: "No such object: x" for plain inspect. */
static int get_object(struct cl_client *c, enum kind k, const char *name, bool size,
                      struct found *out, bt_err **err)
{
    bt_autofree char *en = berth_escape(name);
    if (k != K_IMAGE) {
        bt_autofree char *path = bt_xasprintf("/containers/%s/json%s", en, size ? "?size=1" : "");
        bt_err *e = NULL;
        out->doc = cl_json(c, "GET", path, NULL, NULL, &e);
        if (out->doc) {
            out->types = container_types;
            return 0;
        }
        if (k == K_CONTAINER || cl_err_kind(e) != BT_E_NOT_FOUND) {
            bt_err_move(err, &e);
            return -1;
        }
        bt_err_free(e);
    }
    bt_autofree char *path = bt_xasprintf("/images/%s/json", en);
    bt_err *e = NULL;
    out->doc = cl_json(c, "GET", path, NULL, NULL, &e);
    if (out->doc) {
        out->types = image_types;
        return 0;
    }
    if (k == K_ANY && cl_err_kind(e) == BT_E_NOT_FOUND) {
        bt_err_free(e);
        return bt_err_set(err, BT_E_NOT_FOUND, "Error: No such object: %s", name);
    }
    bt_err_move(err, &e);
    return -1;
}

static int inspect(struct berth_cli *cli, int argc, char **argv, enum kind k)
{
    const char *format = NULL, *type = NULL;
    bool size = false;
    struct bt_flag flags[] = {
            {.name = "format",
             .shorthand = 'f',
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = "Format output using a custom template:\n'json':             Print in "
                      "JSON format\n'TEMPLATE':         Print output using the given Go "
                      "template.\nRefer to https://docs.docker.com/go/formatting/ for more "
                      "information about formatting output with templates"},
            {.name = "size",
             .shorthand = 's',
             .type = BT_FLAG_BOOL,
             .value = &size,
             .usage = k == K_IMAGE ? "" : "Display total file sizes",
             .hidden = k == K_IMAGE},
            {.name = "type",
             .type = BT_FLAG_STRING,
             .value = &type,
             .usage = "Only inspect objects of the given type",
             .hidden = k != K_ANY},
            {0},
    };
    const char *what = k == K_CONTAINER ? "CONTAINER [CONTAINER...]"
                       : k == K_IMAGE   ? "IMAGE [IMAGE...]"
                                        : "NAME|ID [NAME|ID...]";
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] %s", cli->prog, cli->path, what);
    struct bt_flagset fs = {.usage = usage,
                            .description = k == K_CONTAINER ? "Display detailed information on "
                                                              "one or more containers"
                                           : k == K_IMAGE   ? "Display detailed information on "
                                                              "one or more images"
                                                            : "Return low-level information on "
                                                              "Docker objects",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    if (type) {
        if (strcmp(type, "container") == 0) {
            k = K_CONTAINER;
        } else if (strcmp(type, "image") == 0) {
            k = K_IMAGE;
        } else {
            fprintf(cli->err, "\"%s\" is not a valid value for --type\n", type);
            return BERTH_EXIT_FAIL;
        }
    }
    bt_err *err = NULL;
    bt_autoptr(fmt_template) t = NULL;
    bool json_fmt = format && strcmp(format, "json") == 0;
    if (format && *format && !json_fmt) {
        t = fmt_template_parse(format, &err);
        if (!t) {
            bt_err_wrap(&err, "template parsing error");
            return berth_fail(cli, err, 64);
        }
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf errors = BT_STRBUF_INIT;
    bt_autoptr(json_t) all = json_array();
    for (char **n = args; *n; n++) {
        struct found f = {0};
        bt_autoerr bt_err *e = NULL;
        if (get_object(c, k, *n, size, &f, &e) == 0 && t)
            berth_inspect_exec(t, f.doc, f.types, f.doc, &out, &e);
        if (f.doc && !t)
            json_array_append(all, f.doc);
        json_decref(f.doc);
        if (e)
            berth_add_error(&errors, bt_steal_ptr(&e));
    }
    if (t) {
        fputs(out.len ? bt_strbuf_str(&out) : "\n", cli->out);
    } else {
        bt_autofree char *text = json_fmt ? bt_json_dumps(all) : bt_json_dumps_pretty(all, 4);
        fprintf(cli->out, "%s\n", text);
    }
    return berth_print_errors(cli, &errors);
}

int berth_cmd_inspect(struct berth_cli *cli, int argc, char **argv)
{
    return inspect(cli, argc, argv, K_ANY);
}

int berth_cmd_container_inspect(struct berth_cli *cli, int argc, char **argv)
{
    return inspect(cli, argc, argv, K_CONTAINER);
}

int berth_cmd_image_inspect(struct berth_cli *cli, int argc, char **argv)
{
    return inspect(cli, argc, argv, K_IMAGE);
}
