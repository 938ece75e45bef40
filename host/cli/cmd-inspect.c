/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth inspect, container inspect, image inspect: the engine's JSON, indented, or a Go
 * template per object. Plain inspect finds containers, images, networks, volumes and plugins
 * (swarm objects on a swarm manager), or the objects of one --type, as docker's does. As docker's
 * inspector: the template runs on the typed object (the Go types below decide how maps, structs and
 * nil values print); when that fails it runs again on the raw JSON as maps with missingkey=error; a
 * template that does not parse exits with 64.
 */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/network-format.h"
#include "host/cli/util.h"
#include "host/cli/volume-format.h"
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

/* network.EndpointSettings as the docker CLI 28 decodes it, for templates: its members in its
 * struct's order, those the engine left out (GwPriority and DNSNames are younger than API
 * 1.41) as Go's zero values; IPAMConfig's members are omitempty. */
static json_t *endpoint_typed(const json_t *ep)
{
    static const struct {
        const char *name;
        char zero; /* n: null, s: "", i: 0 */
    } members[] = {{"IPAMConfig", 'n'},        {"Links", 'n'},
                   {"Aliases", 'n'},           {"MacAddress", 's'},
                   {"DriverOpts", 'n'},        {"GwPriority", 'i'},
                   {"NetworkID", 's'},         {"EndpointID", 's'},
                   {"Gateway", 's'},           {"IPAddress", 's'},
                   {"IPPrefixLen", 'i'},       {"IPv6Gateway", 's'},
                   {"GlobalIPv6Address", 's'}, {"GlobalIPv6PrefixLen", 'i'},
                   {"DNSNames", 'n'}};
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        json_t *v = json_object_get(ep, members[i].name);
        if (v && strcmp(members[i].name, "IPAMConfig") == 0 && json_is_object(v)) {
            json_t *ipam = json_object();
            static const char *const keys[] = {"IPv4Address", "IPv6Address", "LinkLocalIPs"};
            for (size_t k = 0; k < 3; k++) {
                json_t *m = json_object_get(v, keys[k]);
                if ((json_is_string(m) && *json_string_value(m)) || json_array_size(m))
                    json_object_set(ipam, keys[k], m);
            }
            json_object_set_new(out, members[i].name, ipam);
        } else if (v) {
            json_object_set(out, members[i].name, v);
        } else {
            json_object_set_new(out, members[i].name,
                                members[i].zero == 's'   ? json_string("")
                                : members[i].zero == 'i' ? json_integer(0)
                                                         : json_null());
        }
    }
    return out;
}

/* The container as the docker CLI's container.InspectResponse holds it, where that differs
 * from the engine's JSON. */
static json_t *container_typed(const json_t *doc)
{
    json_t *out = json_deep_copy(doc);
    json_t *nets = bt_json_get_path(out, "NetworkSettings.Networks");
    const char *k;
    json_t *v;
    json_object_foreach (nets, k, v)
        json_object_set_new(nets, k, endpoint_typed(v));
    return out;
}

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

/* The object types docker's inspect knows, in the order it tries them when --type is not
 * given (system/inspect.go's inspectAutodetect); swarm objects are tried only on a swarm
 * manager. */
struct object_type {
    const char *name;
    const char *pre, *post; /* the GET path around the escaped name */
    bool swarm, sized;
};

static const struct object_type object_types[] = {
        {"container", "/containers/", "/json", false, true},
        {"image", "/images/", "/json", false, false},
        {"network", "/networks/", "", false, false},
        {"volume", "/volumes/", "", false, false},
        {"service", "/services/", "?insertDefaults=true", true, false},
        {"task", "/tasks/", "", true, false},
        {"node", "/nodes/", "", true, false},
        {"plugin", "/plugins/", "/json", false, false},
        {"secret", "/secrets/", "", true, false},
        {"config", "/configs/", "", true, false},
};

#define N_TYPES (sizeof(object_types) / sizeof(object_types[0]))
#define ALL_TYPES                                                                           \
    "\"config\", \"container\", \"image\", \"network\", \"node\", \"plugin\", \"secret\", " \
    "\"service\", \"task\", \"volume\""

struct found {
    json_t *doc;   /* the engine's JSON */
    json_t *typed; /* what templates run on first (a new reference, or doc itself) */
    const struct fmt_type *types;
};

static void found_clear(struct found *f)
{
    if (f->typed != f->doc)
        json_decref(f->typed);
    json_decref(f->doc);
    *f = (struct found){0};
}

/* GET name as one type; the docker client's checks of empty names come first. */
static int get_as(struct cl_client *c, const struct object_type *ot, const char *name, bool size,
                  struct found *out, bt_err **err)
{
    bt_autofree char *trimmed = NULL;
    if (strcmp(ot->name, "container") == 0 || strcmp(ot->name, "network") == 0 ||
        strcmp(ot->name, "volume") == 0) {
        if (!(trimmed = berth_trim_id(ot->name, name, err)))
            return -1;
        name = trimmed;
    }
    bt_autofree char *en = berth_escape(name);
    bt_autofree char *path =
            bt_xasprintf("%s%s%s%s", ot->pre, en, ot->post, ot->sized && size ? "?size=1" : "");
    out->doc = cl_json(c, "GET", path, NULL, NULL, err);
    if (!out->doc)
        return -1;
    out->typed = out->doc;
    if (strcmp(ot->name, "container") == 0) {
        out->typed = container_typed(out->doc);
        out->types = container_types;
    } else if (strcmp(ot->name, "image") == 0) {
        out->types = image_types;
    } else if (strcmp(ot->name, "network") == 0) {
        out->typed = berth_network_typed(out->doc);
        out->types = berth_network_types;
    } else if (strcmp(ot->name, "volume") == 0) {
        out->typed = berth_volume_typed(out->doc);
        out->types = berth_volume_types;
    }
    return 0;
}

/* docker's isErrSkippable: what lets the search go on to the next type */
static bool skippable(const bt_err *e)
{
    const char *m = bt_err_msg(e);
    return cl_err_kind(e) == BT_E_NOT_FOUND || strstr(m, "not supported") ||
           strstr(m, "invalid reference format");
}

/* Whether the engine is a swarm manager (asked once per name, as docker asks); an error is
 * printed and counts as no. */
static bool swarm_manager(struct berth_cli *cli, struct cl_client *c)
{
    bt_autoerr bt_err *e = NULL;
    bt_autoptr(json_t) info = cl_json(c, "GET", "/info", NULL, NULL, &e);
    if (!info) {
        fprintf(cli->err, "%s\n", bt_err_msg(e));
        return false;
    }
    return bt_json_get_bool(bt_json_get_obj(info, "Swarm"), "ControlAvailable", false);
}

/* The object name is, of type only (NULL: the first type that has it). */
static int get_object(struct berth_cli *cli, struct cl_client *c, const struct object_type *only,
                      const char *name, bool size, struct found *out, bt_err **err)
{
    int swarm = -1; /* unknown */
    for (size_t i = 0; i < N_TYPES; i++) {
        const struct object_type *ot = &object_types[i];
        if (only && ot != only)
            continue;
        if (!only && ot->swarm) {
            if (swarm < 0)
                swarm = swarm_manager(cli, c);
            if (!swarm)
                continue;
        }
        bt_err *e = NULL;
        if (get_as(c, ot, name, size, out, &e) < 0) {
            if (!only && skippable(e)) {
                bt_err_free(e);
                continue;
            }
            bt_err_move(err, &e);
            return -1;
        }
        if (size && !ot->sized)
            fprintf(cli->err, "WARNING: --size ignored for %s\n", ot->name);
        return 0;
    }
    return bt_err_set(err, BT_E_NOT_FOUND, "Error: No such object: %s", name);
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
             .usage = k == K_IMAGE ? ""
                      : k == K_ANY ? "Display total file sizes if the type is container"
                                   : "Display total file sizes",
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
    const struct object_type *only = k == K_CONTAINER ? &object_types[0]
                                     : k == K_IMAGE   ? &object_types[1]
                                                      : NULL;
    if (type && !*type) {
        fprintf(cli->err, "type is empty: must be one of %s\n", ALL_TYPES);
        return BERTH_EXIT_FAIL;
    }
    for (size_t i = 0; type && !only && i < N_TYPES; i++)
        if (strcmp(type, object_types[i].name) == 0)
            only = &object_types[i];
    if (type && !only) {
        fprintf(cli->err, "unknown type: \"%s\": must be one of %s\n", type, ALL_TYPES);
        return BERTH_EXIT_FAIL;
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
        if (get_object(cli, c, only, *n, size, &f, &e) == 0 && t)
            berth_inspect_exec(t, f.typed, f.types, f.doc, &out, &e);
        if (f.doc && !t)
            json_array_append(all, f.doc);
        found_clear(&f);
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
