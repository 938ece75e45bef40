/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's handling of what a client sends: the request line against berthd's real route
 * table, the filters parameter, and a container create body through the same checks, image
 * merge-free normalisation and OCI spec building that `docker create` + start go through.
 *
 * Input: the first line is "METHOD PATH"; the rest is the body (JSON).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/api/api.h"
#include "guest/engine/api/filters.h"
#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/oci.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void route(const char *line)
{
    bt_autofree char *copy = bt_xstrdup(line);
    char *sp = strchr(copy, ' ');
    if (!sp)
        return;
    *sp = '\0';
    struct api_match m;
    bt_autoerr bt_err *err = NULL;
    if (api_route_match(api_routes, copy, sp + 1, &m, &err) == 0) {
        for (size_t i = 0; i < m.nparams; i++)
            if (!m.params[i] || !*m.params[i])
                abort(); /* a route never matches with an empty parameter */
        api_match_clear(&m);
    } else if (!err) {
        abort();
    }
}

static void create(const char *body, size_t len)
{
    bt_autoptr(json_t) doc = bt_json_parse_object(body, len, NULL);
    if (!doc)
        return;
    bt_autoptr(json_t) cfg = NULL;
    bt_autoptr(json_t) hc = NULL;
    bt_autostrv char **warnings = bt_xzalloc(sizeof(char *));
    bt_autoerr bt_err *err = NULL;
    if (ctr_config_from_request(doc, &cfg, &hc, &warnings, &err) < 0) {
        if (!err)
            abort();
        return;
    }
    gid_t groups[1] = {0};
    struct ctr_user u = {.uid = 0, .gid = 0, .groups = groups, .ngroups = 1, .home = "/"};
    bt_autostrv char **env = oci_process_env(cfg, "fuzz", bt_json_get_bool(cfg, "Tty", false), "/");
    char *args[] = {"true", NULL};
    struct oci_input in = {.dir = "/nonexistent/c",
                           .id = "fuzz",
                           .config = cfg,
                           .host_config = hc,
                           .args = args,
                           .env = env,
                           .user = &u,
                           .hostname = "fuzz",
                           .rootfs = "/nonexistent/rootfs"};
    bt_autoptr(json_t) spec = NULL;
    if (oci_build(&in, &spec, &err) == 0) {
        bt_autofree char *text = bt_json_dumps(spec);
        (void)text;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    bt_autofree char *text = bt_xstrndup((const char *)data, size);
    char *nl = strchr(text, '\n');
    const char *body = nl ? nl + 1 : "";
    if (nl)
        *nl = '\0';
    route(text);
    static const char *const keys[] = {"status", "label", "name", "id", NULL};
    bt_autoptr(json_t) f = api_filters_parse(body, keys, NULL);
    if (f)
        api_filters_match_labels(f, "label", NULL);
    size_t body_len = nl ? size - (size_t)(nl + 1 - text) : 0;
    create(body, strnlen(body, body_len));
    return 0;
}
