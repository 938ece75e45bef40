/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth machine create|start|stop|restart|kill|rm|ls|status|active|ip|url|env|config|inspect|
 * ssh|scp|regenerate-certs|upgrade: docker-machine's verbs and words over Berth's store
 * (host/machine/machine.h) and VMs (host/machine/vm.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/endpoint.h"
#include "host/format/list.h"
#include "host/machine/certs.h"
#include "host/machine/env.h"
#include "host/machine/machine.h"
#include "host/machine/vm.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

#define LS_TABLE                                                                              \
    "table {{.Name}}\t{{.Active}}\t{{.DriverName}}\t{{.State}}\t{{.URL}}\t{{.DockerVersion}}" \
    "\t{{.Error}}"

static void store_for(struct berth_cli *cli, struct machine_store *s)
{
    machine_store_init(s, cli->g.config_dir ? cli->g.config_dir : berth_default_config_dir());
}

static int parse(struct berth_cli *cli, struct bt_flag *flags, const char *args_usage,
                 const char *description, bool interspersed, int argc, char **argv, char ***args)
{
    bt_autofree char *usage = bt_xasprintf("%s %s %s", cli->prog, cli->path, args_usage);
    struct bt_flagset fs = {.usage = usage,
                            .description = description,
                            .flags = flags,
                            .interspersed = interspersed};
    return berth_parse_flags(cli, &fs, cli->path, argc, argv, args);
}

static struct machine_io io_for(struct berth_cli *cli)
{
    return (struct machine_io){.out = cli->out, .err = cli->err};
}

/* The machine an argument names; "default" when none is given (docker-machine's rule). */
static const char *name_arg(char **args)
{
    return args && args[0] ? args[0] : MACHINE_DEFAULT_NAME;
}

/* The machines several arguments name; {"default"} when none is given. */
static const char *const *names_arg(char **args)
{
    static const char *const def[] = {MACHINE_DEFAULT_NAME, NULL};
    return args && args[0] ? (const char *const *)args : def;
}

static int too_many(struct berth_cli *cli, char **args, int max)
{
    if (berth_nargs(args) <= max)
        return 0;
    fprintf(cli->err, "Error: Expected at most %d argument%s\n", max, max == 1 ? "" : "s");
    return BERTH_EXIT_FAIL;
}

static enum machine_state state_of(const struct machine *m, char **error)
{
    bt_err *err = NULL;
    const struct machine_live *live = machine_vm_live(&err);
    enum machine_state st = MACHINE_STATE_UNKNOWN;
    if (live)
        live->state(live->ctx, m, 10000, &st, &err);
    if (err && error)
        *error = bt_xstrdup(bt_err_msg(err));
    bt_err_free(err);
    return st;
}

/* ---- create ------------------------------------------------------------------------------ */

static int create_machine(struct berth_cli *cli, const struct machine_create_opts *o, bool generic,
                          bool force);

static int machine_cmd_create(struct berth_cli *cli, int argc, char **argv)
{
    const char *driver = "libvirt", *cidr = MACHINE_DEFAULT_CIDR, *network = NULL, *uri = NULL;
    int64_t cpus = MACHINE_DEFAULT_CPUS, memory = MACHINE_DEFAULT_MEMORY_MB,
            disk = MACHINE_DEFAULT_DISK_MB;
    const char **shares = NULL;
    bool no_share = false, force = false;
    const char *g_ip = NULL, *g_user = "root", *g_key = NULL;
    int64_t g_ssh_port = MACHINE_SSH_PORT, g_engine_port = MACHINE_ENGINE_PORT;
    struct bt_flag flags[] = {
            {.name = "driver",
             .shorthand = 'd',
             .type = BT_FLAG_STRING,
             .value = &driver,
             .usage = "Driver to create machine with (libvirt, qemu, generic)",
             .def_text = "libvirt"},
            {.name = "cpus",
             .type = BT_FLAG_INT,
             .value = &cpus,
             .usage = "Number of CPUs for the machine",
             .def_text = "1"},
            {.name = "memory",
             .type = BT_FLAG_INT,
             .value = &memory,
             .usage = "Size of memory for the machine (in MB)",
             .def_text = "1024"},
            {.name = "disk-size",
             .type = BT_FLAG_INT,
             .value = &disk,
             .usage = "Size of the data disk for the machine (in MB)",
             .def_text = "20000"},
            {.name = "hostonly-cidr",
             .type = BT_FLAG_STRING,
             .value = &cidr,
             .usage = "The CIDR of the host-only network (the host's address on it)",
             .def_text = "192.168.99.1/24"},
            {.name = "network",
             .type = BT_FLAG_STRING,
             .value = &network,
             .usage = "How the host reaches the machine: \"hostonly\" (root; the default as "
                      "root) or \"user\" (forwards from 127.0.0.1)"},
            {.name = "share",
             .type = BT_FLAG_STRINGS,
             .value = &shares,
             .usage = "Share a host directory with the machine (HOST:GUEST; default: your home "
                      "at the same path)"},
            {.name = "no-share",
             .type = BT_FLAG_BOOL,
             .value = &no_share,
             .usage = "Share no host directory with the machine"},
            {.name = "libvirt-uri",
             .type = BT_FLAG_STRING,
             .value = &uri,
             .usage = "libvirt connection URI (default $BERTH_LIBVIRT_URI, qemu:///system as "
                      "root, else qemu:///session)"},
            {.name = "generic-ip-address",
             .type = BT_FLAG_STRING,
             .value = &g_ip,
             .usage = "IP Address (or DNS name) of the host to provision (generic driver)"},
            {.name = "generic-ssh-user",
             .type = BT_FLAG_STRING,
             .value = &g_user,
             .usage = "SSH user: root, or one sudo lets run anything without a password",
             .def_text = "root"},
            {.name = "generic-ssh-port",
             .type = BT_FLAG_INT,
             .value = &g_ssh_port,
             .usage = "SSH port",
             .def_text = "22"},
            {.name = "generic-ssh-key",
             .type = BT_FLAG_STRING,
             .value = &g_key,
             .usage = "SSH private key path (default: ssh-agent, then ~/.ssh/id_ed25519, "
                      "id_ecdsa, id_rsa)"},
            {.name = "generic-engine-port",
             .type = BT_FLAG_INT,
             .value = &g_engine_port,
             .usage = "Port berthd serves the API on with mutual TLS",
             .def_text = "2376"},
            {.name = "force",
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Provision a host that already runs Docker's dockerd (generic driver)"},
            {0},
    };
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[OPTIONS] NAME", "Create a machine", true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (berth_nargs(args) != 1) {
        fprintf(cli->err, "Error: No machine name specified\n");
        return BERTH_EXIT_FAIL;
    }
    struct machine_store s;
    store_for(cli, &s);
    struct machine_create_opts o = {.name = args[0],
                                    .driver = driver,
                                    .cpus = (int)cpus,
                                    .memory_mb = memory,
                                    .disk_size_mb = disk,
                                    .network = network,
                                    .hostonly_cidr = cidr,
                                    .shares = shares,
                                    .no_share = no_share,
                                    .libvirt_uri = uri,
                                    .generic_ip = g_ip,
                                    .generic_ssh_user = g_user,
                                    .generic_ssh_port = (int)g_ssh_port,
                                    .generic_ssh_key = g_key,
                                    .generic_engine_port = (int)g_engine_port};
    if (g_ssh_port < 0 || g_ssh_port > 65535 || g_engine_port < 0 || g_engine_port > 65535)
        o.generic_ssh_port = o.generic_engine_port = -1; /* refused by the check, by name */
    bool generic = strcmp(driver, "generic") == 0;
    return create_machine(cli, &o, generic, force);
}

/* Pre-create checks, the record (or the unfinished one a generic create left), the driver's
 * create and the first start. */
static int create_machine(struct berth_cli *cli, const struct machine_create_opts *o, bool generic,
                          bool force)
{
    struct machine_store s;
    store_for(cli, &s);
    bt_err *err = NULL;
    fprintf(cli->out, "Running pre-create checks...\n");
    bt_autofree char *image = NULL;
    if (machine_create_check(o, &err) < 0 || (!generic && !(image = machine_image_dir(&err)))) {
        machine_store_clear(&s);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    bt_autoptr(machine) m = machine_create_resume(&s, o, &err);
    if (m) {
        fprintf(cli->out, "Resuming the provisioning of \"%s\"...\n", m->name);
    } else if (!err) {
        fprintf(cli->out, "Creating machine...\n");
        fflush(cli->out);
        m = machine_create(&s, o, &err);
    }
    if (!m) {
        machine_store_clear(&s);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    int lock = machine_lock(&s, m->name, true, &err);
    struct machine_io io = io_for(cli);
    io.force = force;
    if (lock < 0 || machine_vm_create(m, &io, &err) < 0) {
        if (lock >= 0 && machine_resumable(m)) {
            /* a host changed half-way keeps its record: create again finishes the job */
            machine_unlock(lock);
            machine_store_clear(&s);
            bt_err_wrap(&err, "Error creating machine");
            berth_fail(cli, err, BERTH_EXIT_FAIL);
            fprintf(cli->err,
                    "The machine \"%s\" is half-provisioned: run the same `%s machine create` "
                    "again to finish, or `%s machine rm %s`.\n",
                    m->name, cli->prog, cli->prog, m->name);
            return BERTH_EXIT_FAIL;
        }
        /* nothing half-made stays: the VM's definition, then the record */
        const struct machine_live *live = machine_vm_live(NULL);
        if (live && live->remove)
            live->remove(live->ctx, m, false, NULL);
        machine_remove(&s, m->name, NULL);
        if (lock >= 0)
            machine_unlock(lock);
        machine_store_clear(&s);
        bt_err_wrap(&err, "Error creating machine");
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    int rc = machine_vm_start(m, &io, &err);
    machine_unlock(lock);
    machine_store_clear(&s);
    if (rc < 0 && machine_resumable(m)) {
        berth_fail(cli, err, BERTH_EXIT_FAIL);
        fprintf(cli->err,
                "The engine of \"%s\" did not start: see /var/log/berthd.log on the host "
                "(`%s machine ssh %s`), then run the same `%s machine create` again.\n",
                m->name, cli->prog, m->name, cli->prog);
        return BERTH_EXIT_FAIL;
    }
    if (rc < 0) {
        berth_fail(cli, err, BERTH_EXIT_FAIL);
        fprintf(cli->err,
                "The machine \"%s\" was created but did not start: see its console "
                "(%s/console.log), then `%s machine start %s` or `%s machine rm %s`.\n",
                m->name, m->dir, cli->prog, m->name, cli->prog, m->name);
        return BERTH_EXIT_FAIL;
    }
    fprintf(cli->out,
            "Docker is up and running!\n"
            "To see how to connect your Docker Client to the Docker Engine running on this "
            "virtual machine, run: %s machine env %s\n",
            cli->prog, m->name);
    return 0;
}

/* ---- start, stop, restart, kill ---------------------------------------------------------- */

enum op { OP_START, OP_STOP, OP_RESTART, OP_KILL };

static int one_op(struct berth_cli *cli, struct machine_store *s, const char *name, enum op op)
{
    bt_err *err = NULL;
    int lock = machine_lock(s, name, true, &err);
    if (lock < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autoptr(machine) m = machine_load(s, name, &err);
    struct machine_io io = io_for(cli);
    int rc = m ? 0 : -1;
    if (rc == 0 && (op == OP_STOP || op == OP_RESTART))
        rc = machine_vm_stop(m, &io, &err);
    if (rc < 0 && op == OP_RESTART && bt_err_is(err, BT_E_NOT_MODIFIED)) {
        bt_err_clear(&err);
        rc = 0;
    }
    if (rc == 0 && op == OP_KILL) {
        fprintf(cli->out, "Killing \"%s\"...\n", name);
        if ((rc = machine_vm_kill(m, &err)) == 0)
            fprintf(cli->out, "Machine \"%s\" was killed.\n", name);
    }
    if (rc == 0 && (op == OP_START || op == OP_RESTART))
        rc = machine_vm_start(m, &io, &err);
    machine_unlock(lock);
    if (rc < 0 && bt_err_is(err, BT_E_NOT_MODIFIED)) {
        /* docker-machine says so and succeeds */
        fprintf(cli->out, "%s\n", bt_err_msg(err));
        bt_err_free(err);
        return 0;
    }
    if (rc < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (op == OP_START || op == OP_RESTART)
        fprintf(cli->out,
                "Started machines may have new IP addresses. You may need to re-run the `%s "
                "machine env` command.\n",
                cli->prog);
    return 0;
}

static int lifecycle(struct berth_cli *cli, int argc, char **argv, enum op op)
{
    static const char *const what[] = {"Start a machine", "Stop a machine", "Restart a machine",
                                       "Kill (abruptly force stop) a machine"};
    struct bt_flag flags[] = {{0}};
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[NAME...]", what[op], true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    struct machine_store s;
    store_for(cli, &s);
    const char *const *names = names_arg(args);
    int status = 0;
    for (size_t i = 0; names[i]; i++)
        if (one_op(cli, &s, names[i], op) != 0)
            status = BERTH_EXIT_FAIL;
    machine_store_clear(&s);
    return status;
}

static int machine_cmd_start(struct berth_cli *cli, int argc, char **argv)
{
    return lifecycle(cli, argc, argv, OP_START);
}

static int machine_cmd_stop(struct berth_cli *cli, int argc, char **argv)
{
    return lifecycle(cli, argc, argv, OP_STOP);
}

static int machine_cmd_restart(struct berth_cli *cli, int argc, char **argv)
{
    return lifecycle(cli, argc, argv, OP_RESTART);
}

static int machine_cmd_kill(struct berth_cli *cli, int argc, char **argv)
{
    return lifecycle(cli, argc, argv, OP_KILL);
}

/* ---- rm ---------------------------------------------------------------------------------- */

static bool confirm(struct berth_cli *cli, const char *question)
{
    fprintf(cli->out, "%s (y/n): ", question);
    fflush(cli->out);
    char line[64];
    if (!fgets(line, sizeof(line), stdin))
        return false;
    return line[0] == 'y' || line[0] == 'Y';
}

static int machine_cmd_rm(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false, yes = false, purge = false;
    struct bt_flag flags[] = {
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Remove local configuration even if machine cannot be removed, also "
                      "implies an automatic yes (`-y`)"},
            {.name = "y",
             .shorthand = 'y',
             .type = BT_FLAG_BOOL,
             .value = &yes,
             .usage = "Assumes automatic yes to proceed with remove, without prompting further "
                      "user confirmation"},
            {.name = "purge",
             .type = BT_FLAG_BOOL,
             .value = &purge,
             .usage = "Also remove Berth's data on the host: images, containers, volumes "
                      "(generic driver)"},
            {0},
    };
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[OPTIONS] NAME [NAME...]", "Remove a machine", true, argc, argv,
                   &args);
    if (rc >= 0)
        return rc;
    if (berth_nargs(args) == 0) {
        fprintf(cli->err, "Error: Expected to get one or more machine names as arguments\n");
        return BERTH_EXIT_FAIL;
    }
    struct machine_store s;
    store_for(cli, &s);
    int status = 0;
    for (size_t i = 0; args[i]; i++) {
        const char *name = args[i];
        bt_err *err = NULL;
        if (!machine_exists(&s, name)) {
            machine_free(machine_load(&s, name, &err));
            if (!err)
                bt_err_set(&err, BT_E_NOT_FOUND, "Berth machine \"%s\" does not exist", name);
            status = berth_fail(cli, err, BERTH_EXIT_FAIL);
            continue;
        }
        if (!force && !yes) {
            fprintf(cli->out,
                    "About to remove %s\nWARNING: This action will delete both local reference "
                    "and remote instance.\n",
                    name);
            if (!confirm(cli, "Are you sure?")) {
                status = BERTH_EXIT_FAIL;
                continue;
            }
        }
        int lock = machine_lock(&s, name, true, &err);
        if (lock < 0) {
            status = berth_fail(cli, err, BERTH_EXIT_FAIL);
            continue;
        }
        bt_autoptr(machine) m = machine_load(&s, name, force ? NULL : &err);
        const struct machine_live *live = machine_vm_live(force ? NULL : &err);
        rc = 0;
        if (m && live && live->remove)
            rc = live->remove(live->ctx, m, purge, force ? NULL : &err);
        else if (!force && (!m || !live))
            rc = -1;
        if (rc == 0)
            rc = machine_remove(&s, name, &err);
        machine_unlock(lock);
        if (rc < 0) {
            bt_err_wrap(&err, "Error removing host \"%s\"", name);
            status = berth_fail(cli, err, BERTH_EXIT_FAIL);
            continue;
        }
        fprintf(cli->out, "Successfully removed %s\n", name);
    }
    machine_store_clear(&s);
    return status;
}

/* ---- ls, status, active ------------------------------------------------------------------ */

/* The machine the environment points at: DOCKER_HOST is its URL. */
static bool is_active(const struct machine *m)
{
    const char *host = getenv("DOCKER_HOST");
    if (!host || !*host)
        return false;
    bt_autofree char *url = machine_url(m);
    return strcmp(host, url) == 0;
}

static int machine_cmd_ls(struct berth_cli *cli, int argc, char **argv)
{
    const char *format = NULL;
    bool quiet = false;
    int64_t timeout = 10;
    struct bt_flag flags[] = {
            {.name = "format",
             .shorthand = 'f',
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = "Pretty-print machines using a Go template"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Enable quiet mode"},
            {.name = "timeout",
             .shorthand = 't',
             .type = BT_FLAG_INT,
             .value = &timeout,
             .usage = "Timeout in seconds, default to 10s",
             .def_text = "10"},
            {0},
    };
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[OPTIONS]", "List machines", true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    struct machine_store s;
    store_for(cli, &s);
    struct machine_entry *list = NULL;
    size_t n = 0;
    bt_err *err = NULL;
    if (machine_list(&s, &list, &n, &err) < 0) {
        machine_store_clear(&s);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    bool need_live = !quiet;
    const struct machine_live *live = need_live ? machine_vm_live(NULL) : NULL;
    bt_autoptr(json_t) rows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_object();
        const struct machine *m = list[i].machine;
        bt_json_set_str(r, "Name", list[i].name);
        bt_autofree char *error = bt_xstrdup_or_null(list[i].error);
        enum machine_state st = MACHINE_STATE_ERROR;
        bt_autofree char *url = NULL, *version = NULL;
        if (m && live) {
            bt_err *e = NULL;
            live->state(live->ctx, m, (int)timeout * 1000, &st, &e);
            if (e && !error)
                error = bt_xstrdup(bt_err_msg(e));
            bt_err_free(e);
            if (st == MACHINE_STATE_RUNNING) {
                url = machine_url(m);
                version = live->engine_version(live->ctx, m, (int)timeout * 1000, &e);
                if (e && !error)
                    error = bt_xstrdup(bt_err_msg(e));
                bt_err_free(e);
            }
        } else if (m) {
            st = MACHINE_STATE_UNKNOWN;
        }
        bt_json_set_str(r, "Active", m && is_active(m) ? "*" : "-");
        bt_json_set_str(r, "ActiveHost", m && is_active(m) ? "true" : "false");
        bt_json_set_str(r, "DriverName", m ? m->driver_name : "not found");
        bt_json_set_str(r, "State", machine_state_name(st));
        bt_json_set_str(r, "URL", url ? url : "");
        bt_json_set_str(r, "DockerVersion", version ? version : "Unknown");
        bt_json_set_str(r, "Error", error ? error : "");
        json_array_append_new(rows, r);
    }
    machine_list_free(list, n);
    machine_store_clear(&s);
    const char *fmt = quiet && (!format || !*format) ? "{{.Name}}" : format;
    bt_autoptr(json_t) header = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", "NAME", "Active", "ACTIVE", "DriverName",
            "DRIVER", "State", "STATE", "URL", "URL", "DockerVersion", "DOCKER", "Error", "ERRORS");
    struct fmt_list l = {.format = fmt, .default_format = LS_TABLE, .header = header, .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (fmt_list_render(&l, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}

/* Load the one machine of a command that reads it (NAME, or "default"). */
static struct machine *load_arg(struct berth_cli *cli, char **args, int *rc)
{
    if ((*rc = too_many(cli, args, 1)) != 0)
        return NULL;
    struct machine_store s;
    store_for(cli, &s);
    bt_err *err = NULL;
    struct machine *m = machine_load(&s, name_arg(args), &err);
    machine_store_clear(&s);
    if (!m)
        *rc = berth_fail(cli, err, BERTH_EXIT_FAIL);
    return m;
}

static int machine_cmd_status(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[NAME]", "Get the status of a machine", true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    bt_autoptr(machine) m = load_arg(cli, args, &rc);
    if (!m)
        return rc;
    bt_autofree char *error = NULL;
    enum machine_state st = state_of(m, &error);
    fprintf(cli->out, "%s\n", machine_state_name(st));
    if (error && st == MACHINE_STATE_ERROR)
        fprintf(cli->err, "%s\n", error);
    return 0;
}

static int machine_cmd_active(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "", "Print which machine is active", true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    struct machine_store s;
    store_for(cli, &s);
    struct machine_entry *list = NULL;
    size_t n = 0;
    bt_err *err = NULL;
    machine_list(&s, &list, &n, &err);
    machine_store_clear(&s);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (list[i].machine && is_active(list[i].machine)) {
            fprintf(cli->out, "%s\n", list[i].name);
            found = true;
        }
    machine_list_free(list, n);
    bt_err_free(err);
    if (!found) {
        fprintf(cli->err, "No active host found\n");
        return BERTH_EXIT_FAIL;
    }
    return 0;
}

/* ---- ip, url, env, config, inspect ------------------------------------------------------- */

/* docker-machine's words: "Host is not running", after "Error checking TLS connection: " where
 * it checks the engine's certificates (env, config). */
static int need_running_as(struct berth_cli *cli, const struct machine *m, const char *prefix)
{
    bt_autofree char *why = NULL;
    enum machine_state st = state_of(m, &why);
    if (st == MACHINE_STATE_RUNNING)
        return 0;
    /* a state nobody could read (a generic host's changed key, SSH down) says why */
    if (why && st == MACHINE_STATE_ERROR)
        fprintf(cli->err, "%s%s\n", prefix, why);
    else
        fprintf(cli->err, "%sHost is not running\n", prefix);
    return BERTH_EXIT_FAIL;
}

static int need_running(struct berth_cli *cli, const struct machine *m)
{
    return need_running_as(cli, m, "");
}

static int machine_cmd_ip(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[NAME...]", "Get the IP address of a machine", true, argc, argv,
                   &args);
    if (rc >= 0)
        return rc;
    struct machine_store s;
    store_for(cli, &s);
    const char *const *names = names_arg(args);
    int status = 0;
    for (size_t i = 0; names[i]; i++) {
        bt_err *err = NULL;
        bt_autoptr(machine) m = machine_load(&s, names[i], &err);
        if (!m)
            status = berth_fail(cli, err, BERTH_EXIT_FAIL);
        else
            fprintf(cli->out, "%s\n", m->ip_address);
    }
    machine_store_clear(&s);
    return status;
}

static int machine_cmd_url(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[NAME]", "Get the URL of a machine", true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    bt_autoptr(machine) m = load_arg(cli, args, &rc);
    if (!m)
        return rc;
    if ((rc = need_running(cli, m)) != 0)
        return rc;
    bt_autofree char *url = machine_url(m);
    fprintf(cli->out, "%s\n", url);
    return 0;
}

static int machine_cmd_env(struct berth_cli *cli, int argc, char **argv)
{
    const char *shell = NULL;
    bool unset = false, no_proxy = false;
    struct bt_flag flags[] = {
            {.name = "shell",
             .type = BT_FLAG_STRING,
             .value = &shell,
             .usage = "Force environment to be configured for a specified shell: [fish, cmd, "
                      "powershell, tcsh, emacs], default is auto-detect"},
            {.name = "unset",
             .shorthand = 'u',
             .type = BT_FLAG_BOOL,
             .value = &unset,
             .usage = "Unset variables instead of setting them"},
            {.name = "no-proxy",
             .type = BT_FLAG_BOOL,
             .value = &no_proxy,
             .usage = "Add machine IP to NO_PROXY environment variable"},
            {0},
    };
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[OPTIONS] [NAME]",
                   "Display the commands to set up the "
                   "environment for the Docker client",
                   true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    enum machine_shell sh = machine_shell_from_name(shell && *shell ? shell : getenv("SHELL"));
    bt_autoptr(machine) m = NULL;
    bt_autofree char *url = NULL, *np_value = NULL;
    struct machine_env e = {.argv = cli->argv};
    if (!unset) {
        if (!(m = load_arg(cli, args, &rc)))
            return rc;
        if ((rc = need_running_as(cli, m, "Error checking TLS connection: ")) != 0)
            return rc;
        url = machine_url(m);
        e.docker_host = url;
        e.cert_path = m->dir;
        e.machine_name = m->name;
    } else if ((rc = too_many(cli, args, 1)) != 0) {
        return rc;
    }
    if (no_proxy) {
        machine_env_no_proxy(m ? m->ip_address : NULL, &e.no_proxy_var, &np_value);
        e.no_proxy_value = np_value;
    }
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    machine_env_render(sh, unset, &e, &out);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}

static int machine_cmd_config(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[NAME]", "Print the connection config for machine", true, argc,
                   argv, &args);
    if (rc >= 0)
        return rc;
    bt_autoptr(machine) m = load_arg(cli, args, &rc);
    if (!m)
        return rc;
    if ((rc = need_running_as(cli, m, "Error checking TLS connection: ")) != 0)
        return rc;
    bt_autofree char *url = machine_url(m);
    fprintf(cli->out,
            "--tlsverify\n--tlscacert=\"%s/ca.pem\"\n--tlscert=\"%s/cert.pem\"\n"
            "--tlskey=\"%s/key.pem\"\n-H=%s\n",
            m->dir, m->dir, m->dir, url);
    return 0;
}

static int machine_cmd_inspect(struct berth_cli *cli, int argc, char **argv)
{
    const char *format = NULL;
    struct bt_flag flags[] = {
            {.name = "format",
             .shorthand = 'f',
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = "Format the output using the given go template"},
            {0},
    };
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[OPTIONS] [NAME]", "Inspect information about a machine", true,
                   argc, argv, &args);
    if (rc >= 0)
        return rc;
    bt_autoptr(machine) m = load_arg(cli, args, &rc);
    if (!m)
        return rc;
    /* docker-machine's Driver members that tutorials read ({{.Driver.IPAddress}}) */
    json_t *doc = json_deep_copy(m->doc);
    json_t *drv = json_object_get(doc, "Driver");
    if (!json_is_object(drv)) {
        drv = json_object();
        json_object_set_new(doc, "Driver", drv);
    }
    bt_json_set_str(drv, "IPAddress", m->ip_address);
    bt_json_set_str(drv, "MachineName", m->name);
    bt_json_set_str(drv, "SSHUser", m->ssh_user);
    json_object_set_new(drv, "SSHPort", json_integer(m->ssh_port));
    json_object_set_new(drv, "CPU", json_integer(m->cpus));
    json_object_set_new(drv, "Memory", json_integer(m->memory_mb));
    json_object_set_new(drv, "DiskSize", json_integer(m->disk_size_mb));
    bt_json_set_str(drv, "StorePath", m->dir);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_err *err = NULL;
    if (format && *format) {
        bt_autoptr(json_t) rows = json_array();
        json_array_append(rows, doc);
        struct fmt_list l = {.format = format, .rows = rows};
        rc = fmt_list_render(&l, &out, &err);
    } else {
        char *text = json_dumps(doc, JSON_INDENT(4) | JSON_SORT_KEYS);
        bt_strbuf_appendf(&out, "%s\n", text);
        free(text);
        rc = 0;
    }
    json_decref(doc);
    if (rc < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}

/* ---- ssh, scp ---------------------------------------------------------------------------- */

static int machine_cmd_ssh(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[NAME] [COMMAND...]",
                   "Log into or run a command on a machine with "
                   "SSH.",
                   false, argc, argv, &args);
    if (rc >= 0)
        return rc;
    struct machine_store s;
    store_for(cli, &s);
    bt_err *err = NULL;
    bt_autoptr(machine) m = machine_load(&s, name_arg(args), &err);
    machine_store_clear(&s);
    if (!m)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if ((rc = need_running(cli, m)) != 0)
        return rc;
    int status = 0;
    fflush(cli->out);
    if (machine_vm_ssh(m, args && args[0] ? args + 1 : NULL, &status, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return status;
}

static int machine_cmd_scp(struct berth_cli *cli, int argc, char **argv)
{
    bool recursive = false;
    struct bt_flag flags[] = {
            {.name = "recursive",
             .shorthand = 'r',
             .type = BT_FLAG_BOOL,
             .value = &recursive,
             .usage = "Copy files recursively (required to copy directories)"},
            {0},
    };
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[OPTIONS] [MACHINE:]SRC [MACHINE:]DST",
                   "Copy files between machines", true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (berth_nargs(args) != 2) {
        fprintf(cli->err, "Error: Improper number of arguments.\n");
        return BERTH_EXIT_FAIL;
    }
    struct machine_store s;
    store_for(cli, &s);
    bt_err *err = NULL;
    rc = machine_vm_scp(&s, args[0], args[1], recursive, &err);
    machine_store_clear(&s);
    return rc < 0 ? berth_fail(cli, err, BERTH_EXIT_FAIL) : 0;
}

/* ---- regenerate-certs, upgrade ----------------------------------------------------------- */

static int machine_cmd_regenerate_certs(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false, client = false;
    struct bt_flag flags[] = {
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Force rebuild and do not prompt"},
            {.name = "client-certs",
             .type = BT_FLAG_BOOL,
             .value = &client,
             .usage = "Also regenerate client certificates and CA."},
            {0},
    };
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[OPTIONS] [NAME...]", "Regenerate TLS Certificates for a machine",
                   true, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (!force && !confirm(cli, "Regenerate TLS machine certs?  Warning: this is irreversible."))
        return 0;
    struct machine_store s;
    store_for(cli, &s);
    const char *const *names = names_arg(args);
    bt_autofree char *user = machine_user_name();
    int status = 0;
    bt_err *err = NULL;
    if (client && machine_certs_bootstrap(s.certs_dir, user, true, &err) < 0) {
        machine_store_clear(&s);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    for (size_t i = 0; names[i]; i++) {
        int lock = machine_lock(&s, names[i], true, &err);
        bt_autoptr(machine) m = lock >= 0 ? machine_load(&s, names[i], &err) : NULL;
        if (m) {
            fprintf(cli->out, "Regenerating TLS certificates\n");
            fflush(cli->out);
            const char *own = bt_json_get_str(machine_driver_config(m), "HostName", NULL);
            rc = machine_certs_issue_server(s.certs_dir, m->dir, m->name, m->ip_address, own, user,
                                            &err);
            if (rc == 0 && state_of(m, NULL) == MACHINE_STATE_RUNNING) {
                const struct machine_live *live = machine_vm_live(&err);
                rc = live ? live->apply_certs(live->ctx, m, &err) : -1;
            }
        } else {
            rc = -1;
        }
        if (lock >= 0)
            machine_unlock(lock);
        if (rc < 0)
            status = berth_fail(cli, err, BERTH_EXIT_FAIL);
        err = NULL;
    }
    machine_store_clear(&s);
    return status;
}

static int machine_cmd_upgrade(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char **args = NULL;
    int rc = parse(cli, flags, "[NAME...]", "Upgrade a machine to the latest Berth VM image", true,
                   argc, argv, &args);
    if (rc >= 0)
        return rc;
    struct machine_store s;
    store_for(cli, &s);
    const char *const *names = names_arg(args);
    int status = 0;
    struct machine_io io = io_for(cli);
    for (size_t i = 0; names[i]; i++) {
        bt_err *err = NULL;
        int lock = machine_lock(&s, names[i], true, &err);
        bt_autoptr(machine) m = lock >= 0 ? machine_load(&s, names[i], &err) : NULL;
        rc = m ? machine_vm_upgrade(m, &io, &err) : -1;
        if (lock >= 0)
            machine_unlock(lock);
        if (rc < 0)
            status = berth_fail(cli, err, BERTH_EXIT_FAIL);
        else if (strcmp(m->driver_name, "generic") == 0)
            fprintf(cli->out, "Machine \"%s\" runs this build's berthd.\n", names[i]);
        else
            fprintf(cli->out, "Machine \"%s\" runs the Berth VM image %s.\n", names[i],
                    m->image_version && *m->image_version ? m->image_version : "(unversioned)");
    }
    machine_store_clear(&s);
    return status;
}

/* `machine __forward NAME`: the process a VM's start leaves running (forward.c). */
static int machine_cmd_forward(struct berth_cli *cli, int argc, char **argv)
{
    if (argc != 2)
        return BERTH_EXIT_FAIL;
    struct machine_store s;
    store_for(cli, &s);
    bt_err *err = NULL;
    bt_autoptr(machine) m = machine_load(&s, argv[1], &err);
    machine_store_clear(&s);
    if (!m || machine_vm_forward(m, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return 0;
}

const struct berth_cmd berth_machine_cmds[] = {
        {"__forward", "Relay a machine's published ports from 127.0.0.1", machine_cmd_forward,
         BERTH_GROUP_HIDDEN, NULL},
        {"active", "Print which machine is active", machine_cmd_active, BERTH_GROUP_OTHER, NULL},
        {"config", "Print the connection config for machine", machine_cmd_config, BERTH_GROUP_OTHER,
         NULL},
        {"create", "Create a machine", machine_cmd_create, BERTH_GROUP_OTHER, NULL},
        {"env", "Display the commands to set up the environment for the Docker client",
         machine_cmd_env, BERTH_GROUP_OTHER, NULL},
        {"inspect", "Inspect information about a machine", machine_cmd_inspect, BERTH_GROUP_OTHER,
         NULL},
        {"ip", "Get the IP address of a machine", machine_cmd_ip, BERTH_GROUP_OTHER, NULL},
        {"kill", "Kill a machine", machine_cmd_kill, BERTH_GROUP_OTHER, NULL},
        {"ls", "List machines", machine_cmd_ls, BERTH_GROUP_OTHER, NULL},
        {"regenerate-certs", "Regenerate TLS Certificates for a machine",
         machine_cmd_regenerate_certs, BERTH_GROUP_OTHER, NULL},
        {"restart", "Restart a machine", machine_cmd_restart, BERTH_GROUP_OTHER, NULL},
        {"rm", "Remove a machine", machine_cmd_rm, BERTH_GROUP_OTHER, NULL},
        {"scp", "Copy files between machines", machine_cmd_scp, BERTH_GROUP_OTHER, NULL},
        {"ssh", "Log into or run a command on a machine with SSH.", machine_cmd_ssh,
         BERTH_GROUP_OTHER, NULL},
        {"start", "Start a machine", machine_cmd_start, BERTH_GROUP_OTHER, NULL},
        {"status", "Get the status of a machine", machine_cmd_status, BERTH_GROUP_OTHER, NULL},
        {"stop", "Stop a machine", machine_cmd_stop, BERTH_GROUP_OTHER, NULL},
        {"upgrade", "Upgrade a machine to the latest Berth VM image", machine_cmd_upgrade,
         BERTH_GROUP_OTHER, NULL},
        {"url", "Get the URL of a machine", machine_cmd_url, BERTH_GROUP_OTHER, NULL},
        {NULL, NULL, NULL, BERTH_GROUP_OTHER, NULL},
};
