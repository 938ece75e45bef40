/* SPDX-License-Identifier: Apache-2.0 */
/* What `create` and `run` share: the create request, pulling a missing image, warnings. */
#include "host/cli/create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cli/registry.h"
#include "host/cli/util.h"
#include "host/copts/copts.h"
#include "host/term/term.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

/* The docker CLI's localhostDNSWarning: the first --dns address on the loopback (they are
 * in Go's canonical form already), or NULL. */
static const char *localhost_dns(const json_t *body)
{
    size_t i;
    json_t *d;
    json_array_foreach (bt_json_get_arr(bt_json_get_obj(body, "HostConfig"), "Dns"), i, d) {
        static const unsigned char v6_loopback[16] = {[15] = 1};
        unsigned char ip[16];
        const char *s = json_string_value(d);
        if (!s || !copts_parse_ip(s, ip))
            continue;
        bool v4 = ip[10] == 0xFF && ip[11] == 0xFF && !memcmp(ip, v6_loopback, 10);
        if ((v4 && ip[12] == 127) || !memcmp(ip, v6_loopback, 16))
            return s;
    }
    return NULL;
}

static int create_once(struct cl_client *c, const json_t *body, const char *path, json_t **out,
                       bt_err **err)
{
    json_decref(*out);
    *out = cl_json(c, "POST", path, body, NULL, err);
    return *out ? 0 : -1;
}

char *berth_create(struct berth_cli *cli, struct cl_client *c, json_t *body,
                   const struct berth_create_opts *o, bt_err **err)
{
    const char *image = bt_json_get_str(body, "Image", "");
    bt_autoptr(bt_ref) named = bt_ref_parse_docker(image, NULL);
    bt_autofree char *familiar = named ? bt_ref_familiar_string(named) : NULL;
    int cid_fd = -1;
    json_t *resp = NULL;
    bt_err *cerr = NULL;
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/containers/create");
    if (o->name)
        berth_query(&path, "name", o->name);
    if (o->platform && *o->platform)
        berth_query(&path, "platform", o->platform);
    if (o->cidfile && *o->cidfile) {
        if (access(o->cidfile, F_OK) == 0) {
            bt_err_set(err, BT_E_CONFLICT,
                       "container ID file found, make sure the other "
                       "container isn't running or delete %s",
                       o->cidfile);
            return NULL;
        }
        cid_fd = open(o->cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (cid_fd < 0) {
            bt_err_set(err, BT_E_INVALID, "failed to create the container ID file: %s",
                       strerror(errno));
            return NULL;
        }
    }
    /* the docker CLI's pullImage: ImageCreate, its progress on stderr, no second try */
    struct berth_pull_opts po = {.platform = o->platform, .out = o->quiet ? NULL : cli->err};
    if (strcmp(o->pull, "always") == 0 && named && berth_pull(cli, c, named, &po, err) < 0)
        goto fail;
    unsigned rows = 0, cols = 0;
    if (term_size(fileno(cli->out), &rows, &cols)) {
        json_t *hc = bt_json_get_obj(body, "HostConfig");
        json_object_set_new(hc, "ConsoleSize", json_pack("[i, i]", (int)rows, (int)cols));
    }
    if (create_once(c, body, bt_strbuf_str(&path), &resp, &cerr) < 0) {
        if (cl_err_kind(cerr) != BT_E_NOT_FOUND || !named || strcmp(o->pull, "missing") != 0) {
            bt_err_move(err, &cerr);
            goto fail;
        }
        bt_err_free(cerr);
        if (!o->quiet)
            fprintf(cli->err, "Unable to find image '%s' locally\n", familiar);
        if (berth_pull(cli, c, named, &po, err) < 0 ||
            create_once(c, body, bt_strbuf_str(&path), &resp, err) < 0)
            goto fail;
    }
    const char *id = bt_json_get_str(resp, "Id", NULL);
    json_t *warnings = bt_json_get_arr(resp, "Warnings");
    size_t i;
    json_t *w;
    if (!id) {
        bt_err_set(err, BT_E_CORRUPT, "the engine's answer to create has no Id");
        goto fail;
    }
    json_array_foreach (warnings, i, w) {
        if (json_is_string(w))
            fprintf(cli->err, "WARNING: %s\n", json_string_value(w));
    }
    const char *loopback = localhost_dns(body);
    if (loopback)
        fprintf(cli->err, "WARNING: Localhost DNS (%s) may fail in containers.\n", loopback);
    if (cid_fd >= 0) {
        if (write(cid_fd, id, strlen(id)) < 0) {
            bt_err_set(err, BT_E_INTERNAL, "failed to write the container ID to the file: %s",
                       strerror(errno));
            close(cid_fd);
            json_decref(resp);
            return NULL;
        }
        close(cid_fd);
    }
    char *ret = bt_xstrdup(id);
    json_decref(resp);
    return ret;
fail:
    json_decref(resp);
    if (cid_fd >= 0) {
        close(cid_fd);
        unlink(o->cidfile);
    }
    return NULL;
}
