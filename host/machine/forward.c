/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A VM's published ports on the host's 127.0.0.1 (docs/design/machine.md, "Ports on
 * localhost"): `berth machine __forward NAME`, a process per running VM that `machine start`
 * starts and `stop`, `kill` and `rm` end. Every half second it asks the engine (over mutual TLS)
 * for its running containers; each TCP port published on all of the VM's addresses gets a
 * listener on 127.0.0.1 with the same number, whose connections are relayed to VM_IP:PORT. A
 * port that is no longer published loses its listener (connections already relayed go on); a
 * port the host already uses is skipped, and tried again at the next look.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/machine/vm-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define MAX_PORTS   256
#define MAX_RELAYS  512
#define RELAY_BUF   65536
#define LOOK_MS     500
#define PIDFILE     "forward.pid"
#define FORWARD_CMD "__forward"

struct listener {
    int port;
    int fd;
};

/* One direction of a relayed connection: from `in` to `out` through buf. */
struct pipe_dir {
    char *buf;
    size_t len, off;
    bool eof; /* in said EOF: out gets shutdown(SHUT_WR) once buf is drained */
};

struct relay {
    int a, b; /* a: the client's connection on 127.0.0.1; b: to the VM */
    bool connecting;
    struct pipe_dir ab, ba;
};

struct fwd {
    const struct machine *m;
    struct sockaddr_in vm;
    struct listener ls[MAX_PORTS];
    size_t nls;
    struct relay rs[MAX_RELAYS];
    size_t nrs;
};

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

/* ---- what the engine publishes ------------------------------------------------------------- */

static bool all_addresses(const char *ip)
{
    return !ip || !*ip || strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* The TCP ports published on all of the VM's addresses, sorted, without repeats. */
static size_t published(const json_t *list, int *out, size_t max)
{
    size_t n = 0;
    size_t i;
    json_t *c;
    json_array_foreach (list, i, c) {
        size_t j;
        json_t *p;
        json_array_foreach (json_object_get(c, "Ports"), j, p) {
            json_int_t port = json_integer_value(json_object_get(p, "PublicPort"));
            if (port < 1 || port > 65535 || strcmp(bt_json_get_str(p, "Type", ""), "tcp") != 0 ||
                !all_addresses(bt_json_get_str(p, "IP", "")))
                continue;
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = out[k] == (int)port;
            if (!seen && n < max)
                out[n++] = (int)port;
        }
    }
    return n;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0) {
        bt_log(BT_LOG_WARN, "127.0.0.1:%d is in use on this host: not forwarded (%s)", port,
               strerror(errno));
        close(fd);
        return -1;
    }
    bt_log(BT_LOG_INFO, "forwarding 127.0.0.1:%d to the machine's port %d", port, port);
    return fd;
}

/* Make the listeners match the published ports. */
static void sync_listeners(struct fwd *f, const int *ports, size_t n)
{
    for (size_t i = 0; i < f->nls;) {
        bool want = false;
        for (size_t k = 0; k < n && !want; k++)
            want = ports[k] == f->ls[i].port;
        if (want) {
            i++;
            continue;
        }
        bt_log(BT_LOG_INFO, "127.0.0.1:%d no longer published: not forwarded", f->ls[i].port);
        close(f->ls[i].fd);
        f->ls[i] = f->ls[--f->nls];
    }
    for (size_t k = 0; k < n && f->nls < MAX_PORTS; k++) {
        bool have = false;
        for (size_t i = 0; i < f->nls && !have; i++)
            have = f->ls[i].port == ports[k];
        int fd = have ? -1 : listen_on(ports[k]);
        if (fd >= 0)
            f->ls[f->nls++] = (struct listener){ports[k], fd};
    }
}

static void look(struct fwd *f)
{
    bt_autostrbuf struct bt_strbuf body = BT_STRBUF_INIT;
    long status = 0;
    bt_autoerr bt_err *err = NULL;
    if (mvm_engine_get(f->m, "/containers/json", 5000, &status, &body, &err) < 0 || status != 200)
        return; /* the engine restarting: keep what there is, look again */
    bt_autoptr(json_t) list = json_loadb(body.buf, body.len, 0, NULL);
    if (!json_is_array(list))
        return;
    int ports[MAX_PORTS];
    size_t n = published(list, ports, MAX_PORTS);
    sync_listeners(f, ports, n);
}

/* ---- relaying -------------------------------------------------------------------------- */

static void relay_open(struct fwd *f, int lfd, int port)
{
    int a = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (a < 0)
        return;
    if (f->nrs == MAX_RELAYS) {
        close(a);
        return;
    }
    int b = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = f->vm;
    to.sin_port = htons((uint16_t)port);
    if (b < 0 || (connect(b, (struct sockaddr *)&to, sizeof(to)) < 0 && errno != EINPROGRESS)) {
        bt_fd_close(b);
        close(a);
        return;
    }
    f->rs[f->nrs++] = (struct relay){.a = a,
                                     .b = b,
                                     .connecting = true,
                                     .ab.buf = bt_xmalloc(RELAY_BUF),
                                     .ba.buf = bt_xmalloc(RELAY_BUF)};
}

/* Move what can move from `in` to `out`; false when the direction failed. */
static bool pump(int in, int out, struct pipe_dir *d, short in_ev, short out_ev)
{
    if (!d->eof && d->len == 0 && (in_ev & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t r = read(in, d->buf, RELAY_BUF);
        if (r == 0) {
            d->eof = true;
            shutdown(out, SHUT_WR);
        } else if (r > 0) {
            d->len = (size_t)r;
            d->off = 0;
        } else if (errno != EAGAIN && errno != EINTR) {
            return false;
        }
    }
    if (d->len > d->off && (out_ev & POLLOUT || out_ev == 0)) {
        ssize_t w = send(out, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);
        if (w > 0)
            d->off += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        if (d->off == d->len)
            d->len = d->off = 0;
    }
    return true;
}

static void relay_close(struct fwd *f, size_t i)
{
    struct relay *r = &f->rs[i];
    close(r->a);
    close(r->b);
    free(r->ab.buf);
    free(r->ba.buf);
    f->rs[i] = f->rs[--f->nrs];
}

static short want(const struct pipe_dir *in_dir, const struct pipe_dir *out_dir)
{
    short ev = 0;
    if (!in_dir->eof && in_dir->len == 0)
        ev |= POLLIN;
    if (out_dir->len > out_dir->off)
        ev |= POLLOUT;
    return ev;
}

/* One round of poll over the listeners and the relays, at most timeout_ms. */
static void serve(struct fwd *f, int timeout_ms)
{
    struct pollfd p[MAX_PORTS + 2 * MAX_RELAYS];
    size_t n = 0;
    for (size_t i = 0; i < f->nls; i++)
        p[n++] = (struct pollfd){f->ls[i].fd, POLLIN, 0};
    for (size_t i = 0; i < f->nrs; i++) {
        struct relay *r = &f->rs[i];
        p[n++] = (struct pollfd){r->a, r->connecting ? 0 : want(&r->ab, &r->ba), 0};
        p[n++] = (struct pollfd){r->b, r->connecting ? POLLOUT : want(&r->ba, &r->ab), 0};
    }
    if (poll(p, n, timeout_ms) <= 0)
        return;
    size_t nls = f->nls, nrs = f->nrs;
    for (size_t i = nrs; i-- > 0;) {
        struct relay *r = &f->rs[i];
        struct pollfd *pa = &p[nls + 2 * i], *pb = &p[nls + 2 * i + 1];
        bool ok = true;
        if (r->connecting && pb->revents) {
            int e = 0;
            socklen_t len = sizeof(e);
            getsockopt(r->b, SOL_SOCKET, SO_ERROR, &e, &len);
            ok = e == 0;
            r->connecting = false;
            pb->revents = 0;
        }
        if (ok && !r->connecting) {
            ok = pump(r->a, r->b, &r->ab, pa->revents, pb->revents) &&
                 pump(r->b, r->a, &r->ba, pb->revents, pa->revents);
        }
        bool done = r->ab.eof && r->ba.eof && r->ab.len == 0 && r->ba.len == 0;
        if (!ok || done)
            relay_close(f, i);
    }
    for (size_t i = 0; i < nls; i++)
        if (p[i].revents & POLLIN)
            relay_open(f, f->ls[i].fd, f->ls[i].port);
}

int mfwd_run(struct machine *m, bt_err **err)
{
    struct fwd *f = bt_xzalloc(sizeof(*f));
    f->m = m;
    f->vm.sin_family = AF_INET;
    if (inet_pton(AF_INET, m->ip_address, &f->vm.sin_addr) != 1) {
        free(f);
        return bt_err_set(err, BT_E_INVALID, "machine \"%s\": \"%s\" is no IPv4 address", m->name,
                          m->ip_address);
    }
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    long long next = 0;
    while (!stopping) {
        if (mvm_now_ms() >= next) {
            look(f);
            next = mvm_now_ms() + LOOK_MS;
        }
        long long left = next - mvm_now_ms();
        serve(f, left > 0 ? (int)left : 0);
    }
    while (f->nrs)
        relay_close(f, f->nrs - 1);
    for (size_t i = 0; i < f->nls; i++)
        close(f->ls[i].fd);
    free(f);
    return 0;
}

/* ---- the process ----------------------------------------------------------------------- */

/* The forwarder's pid when one runs for this machine (its pid file names a live
 * `berth machine __forward NAME`), else 0. */
static pid_t running_pid(const struct machine *m)
{
    bt_autofree char *path = bt_xasprintf("%s/" PIDFILE, m->dir);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 64, NULL) < 0)
        return 0;
    pid_t pid = (pid_t)atoi(bt_strbuf_str(&sb));
    bt_autofree char *cmdline_path = bt_xasprintf("/proc/%d/cmdline", (int)pid);
    bt_autostrbuf struct bt_strbuf cmd = BT_STRBUF_INIT;
    if (pid <= 0 || bt_file_read(cmdline_path, &cmd, 4096, NULL) < 0)
        return 0;
    /* argv: berth machine __forward NAME, NUL-separated */
    bool ours = false;
    for (size_t i = 0; i + 1 < cmd.len; i += strlen(cmd.buf + i) + 1)
        if (strcmp(cmd.buf + i, FORWARD_CMD) == 0)
            ours = strcmp(cmd.buf + i + strlen(FORWARD_CMD) + 1, m->name) == 0;
    return ours ? pid : 0;
}

void mfwd_start(const struct machine *m)
{
    if (strcmp(m->ip_address, "127.0.0.1") == 0 || running_pid(m) > 0)
        return; /* user-mode networking forwards its own ports; or one runs already */
    bt_autofree char *config = mvm_config_dir(m);
    bt_autofree char *log = bt_xasprintf("%s/forward.log", m->dir);
    bt_autofree char *pidfile = bt_xasprintf("%s/" PIDFILE, m->dir);
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) { /* a daemon: its own session, the machine's log, no terminal */
        if (fork() != 0)
            _exit(0);
        setsid();
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        dup2(null, 0);
        dup2(out >= 0 ? out : null, 1);
        dup2(out >= 0 ? out : null, 2);
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
        bt_file_write_atomic(pidfile, buf, (size_t)len, 0600, NULL);
        setenv("BERTH_CONFIG", config, 1);
        execl("/proc/self/exe", "berth", "machine", FORWARD_CMD, m->name, (char *)NULL);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
}

void mfwd_stop(const struct machine *m)
{
    pid_t pid = running_pid(m);
    if (pid > 0)
        kill(pid, SIGTERM);
    bt_autofree char *pidfile = bt_xasprintf("%s/" PIDFILE, m->dir);
    unlink(pidfile);
}
