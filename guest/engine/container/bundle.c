/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Preparing a start: with the rootfs mounted, resolve the user inside it, make the working
 * directory, write /etc/hostname, /etc/hosts and /etc/resolv.conf, and the bundle the monitor
 * reads (config.json, monitor.json) into the container's run directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/oci.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"
#include "shared/json/json.h"

/* These files are made again at every start: they need no fsync, only to be whole. */
static int write_file(const char *path, const char *text, bt_err **err)
{
    bt_autoclose int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return bt_err_errno(err, errno, "create \"%s\"", path);
    return bt_fd_write_all(fd, text, strlen(text), err);
}

static char *host_hostname(void)
{
    char h[256] = "";
    gethostname(h, sizeof(h) - 1);
    return bt_xstrdup(h);
}

static void append_list(struct bt_strbuf *out, const char *key, const json_t *values)
{
    bt_strbuf_append(out, key);
    size_t i;
    json_t *v;
    json_array_foreach (values, i, v)
        if (json_is_string(v))
            bt_strbuf_appendf(out, " %s", json_string_value(v));
    bt_strbuf_append(out, "\n");
}

static bool is_loopback_server(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "::1", 3) == 0;
}

/* resolv.conf as dockerd writes it: the host's, with loopback name servers dropped (they mean
 * nothing in the container's namespace; Google's when none is left); --dns, --dns-search and
 * --dns-option replacing the host's servers, search and options. On a user-defined network the
 * network's DNS server (berthd's, on the gateway) comes first: it answers the containers'
 * names and forwards the rest to the host's servers, as dockerd's 127.0.0.11 does. The host's
 * network keeps the host's file unless --dns* say otherwise. */
static char *resolv_conf(const json_t *hc, bool host_network, const char *dns_server)
{
    bt_autostrbuf struct bt_strbuf in = BT_STRBUF_INIT;
    bt_file_read("/etc/resolv.conf", &in, 1 << 20, NULL);
    const json_t *dns = bt_json_get_arr(hc, "Dns");
    const json_t *search = bt_json_get_arr(hc, "DnsSearch");
    const json_t *opts = bt_json_get_arr(hc, "DnsOptions");
    if (host_network && !json_array_size(dns) && !json_array_size(search) && !json_array_size(opts))
        return bt_xstrdup(bt_strbuf_str(&in));
    struct bt_strbuf out = BT_STRBUF_INIT;
    bool servers = false;
    if (*dns_server) {
        bt_strbuf_appendf(&out, "nameserver %s\n", dns_server);
        servers = true;
    }
    if (json_array_size(dns)) {
        size_t i;
        json_t *v;
        json_array_foreach (dns, i, v)
            bt_strbuf_appendf(&out, "nameserver %s\n", json_string_value(v));
        servers = true;
    }
    bt_autofree char *copy = bt_xstrdup(bt_strbuf_str(&in));
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *p = line + strspn(line, " \t");
        bool ns = strncmp(p, "nameserver", 10) == 0;
        if (ns) {
            const char *addr = p + 10 + strspn(p + 10, " \t");
            /* our own server and --dns replace the host's; loopback ones mean nothing here */
            if (*dns_server || json_array_size(dns) || (!host_network && is_loopback_server(addr)))
                continue;
            servers = true;
        }
        if ((strncmp(p, "search", 6) == 0 && json_array_size(search)) ||
            (strncmp(p, "options", 7) == 0 && json_array_size(opts)))
            continue;
        bt_strbuf_appendf(&out, "%s\n", line);
    }
    if (!servers)
        bt_strbuf_append(&out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    if (json_array_size(search))
        append_list(&out, "search", search);
    if (json_array_size(opts))
        append_list(&out, "options", opts);
    return bt_strbuf_steal(&out);
}

static char *hosts_file(const struct ctr *c, const json_t *hc, bool host_network)
{
    if (host_network) {
        bt_autostrbuf struct bt_strbuf in = BT_STRBUF_INIT;
        if (bt_file_read("/etc/hosts", &in, 1 << 20, NULL) == 0)
            return bt_strbuf_steal(&in);
    }
    return ctr_net_hosts_text(c, hc);
}

/* They live in the run directory (memory): made again at every start, they need no disk, and
 * every file created and deleted on a disk costs (more so where it is mounted with discard). */
static int write_etc(struct ctr *c, const json_t *hc, const char *hostname, bt_err **err)
{
    bool host_net = strcmp(bt_json_get_str(hc, "NetworkMode", ""), "host") == 0;
    bt_autofree char *h = bt_xasprintf("%s/hostname", c->run_dir);
    bt_autofree char *hs = bt_xasprintf("%s/hosts", c->run_dir);
    bt_autofree char *r = bt_xasprintf("%s/resolv.conf", c->run_dir);
    bt_autofree char *htext = bt_xasprintf("%s\n", hostname);
    bt_autofree char *hosts = hosts_file(c, hc, host_net);
    bt_autofree char *resolv = resolv_conf(hc, host_net, c->net_dns);
    if (write_file(h, htext, err) < 0 || write_file(hs, hosts, err) < 0 ||
        write_file(r, resolv, err) < 0)
        return -1;
    return 0;
}

static char *container_hostname(const json_t *cfg, const json_t *hc)
{
    if (strcmp(bt_json_get_str(hc, "NetworkMode", ""), "host") == 0 &&
        !*bt_json_get_str(cfg, "Hostname", ""))
        return host_hostname();
    return bt_xstrdup(bt_json_get_str(cfg, "Hostname", ""));
}

static char **rec_args(const json_t *rec);

static int write_monitor_json(struct ctr *c, const json_t *cfg, const json_t *hc, bt_err **err)
{
    const json_t *log = bt_json_get_obj(hc, "LogConfig");
    bool no_log = strcmp(bt_json_get_str(log, "Type", "json-file"), "none") == 0;
    bt_autofree char *mon_path = bt_xasprintf("%s/monitor.json", c->run_dir);
    bt_autofree char *log_path = bt_xasprintf("%s/%s-json.log", c->dir, c->id);
    bt_autofree char *exit_path = bt_xasprintf("%s/exit.json", c->run_dir);
    bt_autofree char *ctl_path = bt_xasprintf("%s/ctl.sock", c->run_dir);
    bt_autoptr(json_t) mon = json_object();
    bt_json_set_bool(mon, "tty", bt_json_get_bool(cfg, "Tty", false));
    bt_json_set_bool(mon, "open_stdin", bt_json_get_bool(cfg, "OpenStdin", false));
    bt_json_set_bool(mon, "stdin_once", bt_json_get_bool(cfg, "StdinOnce", false));
    bt_json_set_str(mon, "log_path", no_log ? NULL : log_path);
    int64_t max_size = -1;
    int max_files = 1;
    if (!no_log && ctr_log_limits(log, &max_size, &max_files, err) < 0)
        return bt_err_wrap(err, "failed to initialize logging driver");
    bt_json_set_int(mon, "log_max_size", max_size);
    bt_json_set_int(mon, "log_max_file", max_files);
    bt_json_set_str(mon, "exit_file", exit_path);
    bt_json_set_str(mon, "ctl_socket", ctl_path);
    bt_autofree char *cache = bt_xasprintf("%s/seccomp", c->m->exec_root);
    bt_json_set_str(mon, "seccomp_cache", cache);
    bt_autofree char *mon_text = bt_json_dumps(mon);
    unlink(exit_path);
    return write_file(mon_path, mon_text, err);
}

static int write_bundle_files(struct ctr *c, int rootfd, const char *rootfs,
                              const struct ctr_user *user, bt_err **err)
{
    const json_t *cfg = bt_json_get_obj(c->rec, "Config");
    const json_t *hc = bt_json_get_obj(c->rec, "HostConfig");
    bt_autofree char *hostname = container_hostname(cfg, hc);
    bt_autostrv char **args = rec_args(c->rec);
    bt_autostrv char **env =
            oci_process_env(cfg, hostname, bt_json_get_bool(cfg, "Tty", false), user->home);
    ctr_net_add_link_env(c, &env);
    const char *wd = bt_json_get_str(cfg, "WorkingDir", "");
    /* dockerd makes a missing working directory (owned by root) */
    if (*wd) {
        int fd = bt_mkdir_in_root(rootfd, wd, 0755, err);
        if (fd < 0)
            return bt_err_wrap(err, "create working directory \"%s\"", wd);
        close(fd);
    }
    if (bt_mkdir_p(c->run_dir, 0700, err) < 0 || write_etc(c, hc, hostname, err) < 0)
        return -1;
    struct oci_input in = {.dir = c->run_dir,
                           .id = c->id,
                           .config = cfg,
                           .host_config = hc,
                           .mount_points = json_object_get(c->rec, "MountPoints"),
                           .args = args,
                           .env = env,
                           .user = user,
                           .hostname = hostname,
                           .netns = c->netns,
                           .rootfs = rootfs};
    bt_autofree char *init = NULL;
    if (bt_json_get_bool(hc, "Init", false)) {
        bt_autofree char *dir = bt_path_dirname(c->m->monitor_path);
        init = bt_xasprintf("%s/berth-init", dir);
        if (access(init, X_OK) < 0)
            return bt_err_set(err, BT_E_INTERNAL,
                              "exec: \"docker-init\": executable file not found in $PATH");
        in.init_path = init;
    }
    bt_autoptr(json_t) spec = NULL;
    if (oci_build(&in, &spec, err) < 0)
        return -1;
    bt_autofree char *spec_path = bt_xasprintf("%s/config.json", c->run_dir);
    bt_autofree char *spec_text = bt_json_dumps(spec);
    if (write_file(spec_path, spec_text, err) < 0)
        return -1;
    return write_monitor_json(c, cfg, hc, err);
}

static char **rec_args(const json_t *rec)
{
    char **args = bt_xzalloc(sizeof(char *));
    const char *path = bt_json_get_str(rec, "Path", "");
    if (*path)
        bt_strv_push(&args, path);
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(rec, "Args"), i, v) {
        if (json_is_string(v))
            bt_strv_push(&args, json_string_value(v));
    }
    return args;
}

int ctr_write_bundle(struct ctr *c, const char *rootfs, bt_err **err)
{
    const json_t *cfg = bt_json_get_obj(c->rec, "Config");
    const json_t *hc = bt_json_get_obj(c->rec, "HostConfig");
    bt_autoclose int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return bt_err_errno(err, errno, "open rootfs \"%s\"", rootfs);

    bt_autostrv char **group_add = bt_json_to_strv(bt_json_get_arr(hc, "GroupAdd"), NULL);
    struct ctr_user user;
    if (ctr_resolve_user(rootfd, bt_json_get_str(cfg, "User", ""), group_add, &user, err) < 0)
        return -1;
    int rc = write_bundle_files(c, rootfd, rootfs, &user, err);
    ctr_user_free(&user);
    return rc;
}
