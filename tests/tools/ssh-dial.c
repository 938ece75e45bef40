/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-ssh-dial: the SSH transport (host/transport) from the command line, for tests; a thin
 * `ssh -T`.
 *
 *   berth-ssh-dial [OPTIONS] ssh://[user@]host[:port][/path] [-- COMMAND [ARG...]]
 *
 *   -i FILE              identity file, tried first
 *   --known-hosts FILE   instead of ~/.ssh/known_hosts
 *   --accept-new         trust and remember a host seen for the first time
 *   --no-agent           do not ask ssh-agent
 *   --no-default-keys    do not try ~/.ssh/id_*
 *   --timeout MS         per stage of the dial
 *   --detached           use tp_ssh_dial() (fd only, the end reported by callback) instead of
 *                        the connection handle
 *   --close-early        close the fd right after the dial and wait for the bridge to end
 *   --time               print "dial-ms N first-byte-ms N" to stderr
 *   --pty TERM COLSxROWS a pseudo-terminal for the command (or the shell)
 *   --shell              the login shell instead of a command
 *   --resize COLSxROWS   after the first byte of output, resize the pseudo-terminal
 *   --put LOCAL REMOTE   copy over SFTP instead of running a command (-r: directories)
 *   --get REMOTE LOCAL   the other way
 *
 * Without COMMAND it runs the URL's command (`berthd dial-stdio [--host=unix://PATH]`). It
 * copies stdin to the connection and the connection to stdout; stdin's EOF becomes
 * shutdown(SHUT_WR) on the connection (the remote command's stdin EOF). When the connection's
 * output ends it prints the remote stderr to its stderr and exits with the remote command's
 * status, or 255 when the dial or the connection failed or a signal ended the command (as ssh
 * does).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "host/transport/transport.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The end as reported to the tp_ssh_dial() callback. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool ended;
    int status;
    char *signal;
    char *err;
    char *stderr_text;
} detached_end = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void on_end(void *arg, const struct tp_ssh_end *end)
{
    pthread_mutex_lock(&detached_end.lock);
    detached_end.ended = true;
    detached_end.status = end->exit_status;
    detached_end.signal = bt_xstrdup_or_null(end->exit_signal);
    detached_end.err = bt_xstrdup_or_null(end->error);
    detached_end.stderr_text = bt_xstrndup(end->stderr_text, end->stderr_len);
    pthread_cond_broadcast(&detached_end.cond);
    pthread_mutex_unlock(&detached_end.lock);
}

static int usage(void)
{
    fprintf(stderr, "usage: berth-ssh-dial [-i FILE] [--known-hosts FILE] [--accept-new] "
                    "[--no-agent] [--no-default-keys] [--timeout MS] [--detached] "
                    "[--close-early] [--time] ssh://... [-- COMMAND [ARG...]]\n");
    return 2;
}

static struct tp_ssh_conn *resize_conn;
static int resize_cols, resize_rows;

/* Copy stdin -> fd and fd -> stdout until fd's EOF. Returns the time of the first byte read
 * from fd (0 if none) or -1. */
static long long copy(int fd)
{
    char buf[65536];
    bool in_open = true;
    long long first = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = in_open ? 0 : -1, .events = POLLIN},
                              {.fd = fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (p[0].revents) {
            ssize_t n = read(0, buf, sizeof(buf));
            if (n <= 0) {
                in_open = false;
                shutdown(fd, SHUT_WR);
            } else if (bt_fd_write_all(fd, buf, (size_t)n, NULL) < 0) {
                in_open = false; /* the far side is gone; keep reading what it said */
            }
        }
        if (p[1].revents) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return first;
            if (!first) {
                first = now_ms();
                if (resize_conn &&
                    tp_ssh_conn_resize(resize_conn, resize_cols, resize_rows, NULL) < 0)
                    return -1;
            }
            if (bt_fd_write_all(1, buf, (size_t)n, NULL) < 0)
                return -1;
        }
    }
}

static int finish(const char *stderr_text, const char *err, const char *sig, int status)
{
    if (stderr_text && stderr_text[0])
        fputs(stderr_text, stderr);
    if (err) {
        fprintf(stderr, "berth-ssh-dial: %s\n", err);
        return 255;
    }
    if (sig) {
        fprintf(stderr, "berth-ssh-dial: remote command killed by signal %s\n", sig);
        return 255;
    }
    return status < 0 ? 255 : status;
}

int main(int argc, char **argv)
{
    struct tp_ssh_opts o = {0};
    bool detached = false, close_early = false, timing = false, recursive = false;
    const char *copy_dir = NULL, *copy_from = NULL, *copy_to = NULL;
    const char *url = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-i") && i + 1 < argc)
            o.identity_file = argv[++i];
        else if (!strcmp(a, "--known-hosts") && i + 1 < argc)
            o.known_hosts = argv[++i];
        else if (!strcmp(a, "--accept-new"))
            o.host_key_policy = TP_HOST_KEY_ACCEPT_NEW;
        else if (!strcmp(a, "--no-agent"))
            o.no_agent = true;
        else if (!strcmp(a, "--no-default-keys"))
            o.no_default_keys = true;
        else if (!strcmp(a, "--timeout") && i + 1 < argc)
            o.timeout_ms = atoi(argv[++i]);
        else if (!strcmp(a, "--detached"))
            detached = true;
        else if (!strcmp(a, "--close-early"))
            close_early = true;
        else if (!strcmp(a, "--time"))
            timing = true;
        else if (!strcmp(a, "--pty") && i + 2 < argc) {
            o.pty_term = argv[++i];
            if (sscanf(argv[++i], "%dx%d", &o.pty_cols, &o.pty_rows) != 2)
                return usage();
        } else if (!strcmp(a, "--shell"))
            o.shell = true;
        else if (!strcmp(a, "-r"))
            recursive = true;
        else if ((!strcmp(a, "--put") || !strcmp(a, "--get")) && i + 2 < argc) {
            copy_dir = a + 2;
            copy_from = argv[++i];
            copy_to = argv[++i];
        } else if (!strcmp(a, "--resize") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &resize_cols, &resize_rows) != 2)
                return usage();
        } else if (a[0] == '-' || url)
            return usage();
        else
            url = a;
        if (url && i + 1 < argc && !strcmp(argv[i + 1], "--")) {
            i += 2;
            break;
        }
    }
    if (!url)
        return usage();
    signal(SIGPIPE, SIG_IGN);

    bt_autoerr bt_err *err = NULL;
    struct tp_ssh_url u;
    if (tp_ssh_url_parse(url, &u, &err) < 0) {
        fprintf(stderr, "berth-ssh-dial: %s\n", bt_err_msg(err));
        return 255;
    }
    bt_autostrv char **cmd = i < argc ? bt_strv_dup(argv + i) : tp_ssh_url_command(&u);
    o.host = u.host;
    o.port = u.port;
    o.user = u.user;
    o.command = (const char *const *)cmd;

    if (copy_dir) {
        struct tp_sftp *f = tp_sftp_open(&o, &err);
        int rc = !f                         ? -1
                 : !strcmp(copy_dir, "put") ? tp_sftp_put(f, copy_from, copy_to, recursive, &err)
                                            : tp_sftp_get(f, copy_from, copy_to, recursive, &err);
        tp_sftp_close(f);
        tp_ssh_url_free(&u);
        if (rc < 0)
            fprintf(stderr, "berth-ssh-dial: %s\n", bt_err_msg(err));
        return rc < 0 ? 1 : 0;
    }

    long long start = now_ms();
    struct tp_ssh_conn *c = NULL;
    int fd;
    if (detached) {
        o.on_end = on_end;
        fd = tp_ssh_dial(&o, &err);
    } else {
        c = tp_ssh_connect(&o, &err);
        fd = c ? tp_ssh_conn_fd(c) : -1;
        if (resize_cols > 0)
            resize_conn = c;
    }
    if (fd < 0) {
        fprintf(stderr, "berth-ssh-dial: %s\n", bt_err_msg(err));
        tp_ssh_url_free(&u);
        return 255;
    }
    long long dialed = now_ms();
    long long first = 0;
    if (close_early) {
        if (c)
            close(tp_ssh_conn_take_fd(c));
        else
            close(fd);
    } else {
        first = copy(fd);
    }
    if (timing)
        fprintf(stderr, "dial-ms %lld first-byte-ms %lld\n", dialed - start,
                first > 0 ? first - start : -1);

    int rc;
    if (c) {
        struct tp_ssh_end end;
        if (tp_ssh_conn_wait(c, 15000, &end, &err) < 0) {
            fprintf(stderr, "berth-ssh-dial: %s\n", bt_err_msg(err));
            rc = 254;
        } else {
            rc = finish(end.stderr_text, end.error, end.exit_signal, end.exit_status);
        }
        tp_ssh_conn_free(c);
    } else {
        if (!close_early)
            close(fd); /* the detached bridge ends when the fd is closed */
        pthread_mutex_lock(&detached_end.lock);
        long long deadline = now_ms() + 15000;
        while (!detached_end.ended && now_ms() < deadline) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50 * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&detached_end.cond, &detached_end.lock, &ts);
        }
        bool ended = detached_end.ended;
        pthread_mutex_unlock(&detached_end.lock);
        if (!ended) {
            fprintf(stderr, "berth-ssh-dial: the detached connection did not end\n");
            rc = 254;
        } else {
            rc = finish(detached_end.stderr_text, detached_end.err, detached_end.signal,
                        detached_end.status);
        }
        /* the bridge thread frees itself right after the callback: give it that moment so
         * leak checkers see a clean exit */
        usleep(100 * 1000);
        free(detached_end.signal);
        free(detached_end.err);
        free(detached_end.stderr_text);
    }
    if (close_early && rc != 254) {
        fprintf(stderr, "berth-ssh-dial: ended\n");
        rc = 0;
    }
    tp_ssh_url_free(&u);
    return rc;
}
