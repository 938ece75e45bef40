/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth quickstart: Docker Toolbox's launcher (SPEC.md flow 1). Checks what a VM needs
 * (QEMU, the image, free disk, libvirtd: started when it can be), creates the machine "default"
 * when it is missing, starts it, imports a first image, runs a first container, prints the
 * environment and opens a shell with it (or prints the `eval` line where there is no terminal).
 * A second run reuses the machine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/endpoint.h"
#include "host/machine/env.h"
#include "host/machine/machine.h"
#include "host/machine/vm.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/flags/flags.h"
#include "shared/fs/self.h"

#define LIBVIRT_SOCK "/run/libvirt/libvirt-sock"
#define MIN_FREE_MB  1024

/* The full path of an executable on PATH, or NULL. */
static char *which(const char *prog)
{
    return bt_path_lookup(prog, "/usr/sbin:/usr/bin:/sbin:/bin");
}

static bool socket_answers(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* Run a daemon that forks itself away (`virtlogd -d`); its exit status. */
static int run_daemon(const char *prog)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl(prog, prog, "-d", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The driver for a new machine: libvirt when its daemon answers or can be started here (root,
 * the system URI), else plain QEMU. */
static const char *pick_driver(struct berth_cli *cli)
{
    const char *uri = getenv("BERTH_LIBVIRT_URI");
    bt_autofree char *libvirtd = which("libvirtd");
    if (uri && *uri) {
        fprintf(cli->out, "  libvirt: %s (BERTH_LIBVIRT_URI)\n", uri);
        return "libvirt";
    }
    if (geteuid() != 0) {
        if (libvirtd) {
            fprintf(cli->out, "  libvirt: qemu:///session\n");
            return "libvirt";
        }
        fprintf(cli->out, "  libvirt: not installed; the machine runs under plain QEMU\n");
        return "qemu";
    }
    if (socket_answers(LIBVIRT_SOCK)) {
        fprintf(cli->out, "  libvirt: qemu:///system (libvirtd is running)\n");
        return "libvirt";
    }
    if (!libvirtd) {
        fprintf(cli->out, "  libvirt: not installed; the machine runs under plain QEMU\n");
        return "qemu";
    }
    bt_autofree char *virtlogd = which("virtlogd");
    if (virtlogd)
        run_daemon(virtlogd);
    if (run_daemon(libvirtd) == 0)
        for (int i = 0; i < 100 && !socket_answers(LIBVIRT_SOCK); i++)
            usleep(100 * 1000);
    if (socket_answers(LIBVIRT_SOCK)) {
        fprintf(cli->out, "  libvirt: qemu:///system (libvirtd started)\n");
        return "libvirt";
    }
    fprintf(cli->out, "  libvirt: libvirtd did not start; the machine runs under plain QEMU\n");
    return "qemu";
}

static int prerequisites(struct berth_cli *cli, const struct machine_store *s, bt_err **err)
{
    bt_autofree char *qemu = which("qemu-system-x86_64");
    if (!qemu)
        return bt_err_set(err, BT_E_UNAVAILABLE,
                          "QEMU is not installed: the machine needs qemu-system-x86_64 (Debian: "
                          "apt-get install qemu-system-x86)");
    fprintf(cli->out, "  hypervisor: %s\n", qemu);
    bt_autofree char *image = machine_image_dir(err);
    if (!image)
        return -1;
    fprintf(cli->out, "  image: %s\n", image);
    /* the store's file system (or the nearest existing parent) */
    bt_autofree char *dir = bt_xstrdup(s->config_dir);
    struct statvfs st;
    while (statvfs(dir, &st) < 0) {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
            snprintf(dir, 2, "/");
            if (statvfs(dir, &st) < 0)
                return bt_err_errno(err, errno, "statvfs /");
            break;
        }
        *slash = '\0';
    }
    unsigned long long free_mb = (unsigned long long)st.f_bavail * st.f_frsize / (1024 * 1024);
    if (free_mb < MIN_FREE_MB)
        return bt_err_set(err, BT_E_UNAVAILABLE,
                          "only %llu MB free in %s: the machine needs at least %d MB", free_mb, dir,
                          MIN_FREE_MB);
    fprintf(cli->out, "  disk: %llu MB free in %s\n", free_mb, dir);
    return 0;
}

/* Run one of `berth machine`'s commands. */
static int machine_cmd(struct berth_cli *cli, const char *verb, char **argv)
{
    for (const struct berth_cmd *c = berth_machine_cmds; c->name; c++)
        if (strcmp(c->name, verb) == 0) {
            bt_autofree char *path = bt_xasprintf("machine %s", verb);
            const char *old = cli->path;
            cli->path = path;
            int argc = 0;
            while (argv[argc])
                argc++;
            int rc = c->run(cli, argc, argv);
            cli->path = old;
            fflush(cli->out);
            return rc;
        }
    return BERTH_EXIT_FAIL;
}

int berth_cmd_quickstart(struct berth_cli *cli, int argc, char **argv)
{
    const char *driver = NULL;
    bool no_shell = false;
    struct bt_flag flags[] = {
            {.name = "driver",
             .shorthand = 'd',
             .type = BT_FLAG_STRING,
             .value = &driver,
             .usage = "Driver of a new machine (libvirt, qemu; default: libvirt when libvirtd "
                      "runs or can be started, else qemu)"},
            {.name = "no-shell",
             .type = BT_FLAG_BOOL,
             .value = &no_shell,
             .usage = "Print the environment instead of opening a shell with it"},
            {0},
    };
    struct bt_flagset fs = {
            .usage = "berth quickstart [OPTIONS]",
            .description = "Create and start the default machine, then open a shell for it",
            .flags = flags,
            .interspersed = true,
    };
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, "quickstart", argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, "quickstart", args, 0, 0)) != 0)
        return rc;
    struct machine_store s;
    machine_store_init(&s, cli->g.config_dir ? cli->g.config_dir : berth_default_config_dir());
    bt_err *err = NULL;
    const char *name = MACHINE_DEFAULT_NAME;
    fprintf(cli->out, "Checking prerequisites...\n");
    if (prerequisites(cli, &s, &err) < 0) {
        machine_store_clear(&s);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    if (!machine_exists(&s, name)) {
        const char *drv = driver ? driver : pick_driver(cli);
        fflush(cli->out);
        char *create[] = {"create", "--driver", (char *)drv, (char *)name, NULL};
        rc = machine_cmd(cli, "create", create);
    } else {
        char *start[] = {"start", (char *)name, NULL};
        rc = machine_cmd(cli, "start", start);
    }
    if (rc != 0) {
        machine_store_clear(&s);
        return rc;
    }
    bt_autoptr(machine) m = machine_load(&s, name, &err);
    machine_store_clear(&s);
    if (!m)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autofree char *url = machine_url(m);

    /* the first image and container */
    const char *busybox = "/bin/busybox";
    bool made = false;
    if (access(busybox, X_OK) == 0) {
        if (machine_vm_seed_image(m, busybox, "busybox", &made, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        if (made)
            fprintf(cli->out, "Imported the image busybox:latest (made from this host's %s).\n",
                    busybox);
    }
    setenv("DOCKER_HOST", url, 1);
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    setenv("DOCKER_CERT_PATH", m->dir, 1);
    setenv("DOCKER_MACHINE_NAME", m->name, 1);
    cli->g.tls = true;
    cli->g.tls_verify = true;
    cli->g.hosts = NULL;
    cli->g.context = NULL;
    if (access(busybox, X_OK) == 0) {
        fprintf(cli->out, "\n$ %s run --rm busybox echo 'Hello from Berth!'\n", cli->prog);
        fflush(cli->out);
        char *run[] = {"run", "--rm", "busybox", "echo", "Hello from Berth!", NULL};
        const char *old = cli->path;
        cli->path = "run";
        rc = berth_cmd_run(cli, 5, run);
        cli->path = old;
        fflush(cli->out);
        if (rc != 0)
            fprintf(cli->err, "The first container did not run (exit status %d).\n", rc);
    }

    char *env_argv[] = {(char *)cli->prog, "machine", "env", (char *)name, NULL};
    struct machine_env e = {
            .docker_host = url, .cert_path = m->dir, .machine_name = m->name, .argv = env_argv};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    const char *shell = getenv("SHELL");
    machine_env_render(machine_shell_from_name(shell), false, &e, &out);
    fprintf(cli->out,
            "\nBerth is up: the engine of the machine \"%s\" answers at %s.\n"
            "Its environment for the docker CLI and berth:\n%s",
            m->name, url, bt_strbuf_str(&out));
    fflush(cli->out);
    if (no_shell || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return 0;
    const char *sh = shell && *shell ? shell : "/bin/sh";
    fprintf(cli->out, "\nStarting %s with this environment (exit it to leave).\n", sh);
    fflush(cli->out);
    execl(sh, sh, (char *)NULL);
    fprintf(cli->err, "cannot start %s: %s\n", sh, strerror(errno));
    return BERTH_EXIT_FAIL;
}
