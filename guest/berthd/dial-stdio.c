/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Two copies, byte for byte, each on its own thread so that neither waits for the other:
 * stdin -> socket, then shutdown(SHUT_WR) (the engine sees the end of the client's stream,
 * which a hijacked attach passes on to the container's stdin); socket -> stdout, then stdout is
 * closed. As in the docker CLI (cli/command/system/dial_stdio.go), the command ends when the
 * engine's side has ended, without waiting for stdin, which a terminal never closes; an error
 * in either copy ends it with status 1.
 */
#include "guest/berthd/dial-stdio.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/flags/flags.h"

#define DEFAULT_HOST "unix:///run/berth.sock"

struct copy {
    int from, to;
    const char *what; /* "stdin to stream", in the docker CLI's words */
    atomic_int error; /* errno of a failed copy, 0 */
    atomic_bool failed_write;
};

/* Go's words for errno: the C library's message in lower case. */
static void print_error(const struct copy *c)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "%s", strerror(c->error));
    msg[0] = (char)tolower((unsigned char)msg[0]);
    fprintf(stderr, "error while Copy (%s): %s: %s\n", c->what, c->failed_write ? "write" : "read",
            msg);
}

/* Copy until EOF or an error; returns 0 at EOF. */
static int copy_all(struct copy *c)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(c->from, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return 0;
        if (n < 0 || bt_fd_write_all(c->to, buf, (size_t)n, NULL) < 0) {
            c->failed_write = n > 0;
            c->error = errno;
            return -1;
        }
    }
}

static void *stdin_to_socket(void *arg)
{
    struct copy *c = arg;
    if (copy_all(c) < 0)
        /* the engine's side is of no use any more: end the other copy too */
        shutdown(c->to, SHUT_RDWR);
    else
        shutdown(c->to, SHUT_WR);
    return NULL;
}

static int dial(const char *host)
{
    if (strncmp(host, "unix://", 7) != 0) {
        fprintf(stderr, "berthd dial-stdio: %s: only unix:// hosts can be dialled\n", host);
        return -1;
    }
    const char *path = host + 7;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0 && strlen(path) >= sizeof(a.sun_path))
        e = ENAMETOOLONG;
    if (!e) {
        strcpy(a.sun_path, path);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
            e = errno;
    }
    if (!e)
        return fd;
    bt_fd_close(fd);
    char msg[128];
    snprintf(msg, sizeof(msg), "%s", strerror(e));
    msg[0] = (char)tolower((unsigned char)msg[0]);
    fprintf(stderr, "failed to open the raw stream connection: dial unix %s: connect: %s\n", path,
            msg);
    return -1;
}

static int parse(int argc, char **argv, const char **host)
{
    struct bt_flag flags[] = {
            {.name = "host",
             .shorthand = 'H',
             .type = BT_FLAG_STRING,
             .value = host,
             .usage = "The engine's socket to connect to",
             .def_text = DEFAULT_HOST},
            {0},
    };
    struct bt_flagset fs = {
            .usage = "berthd dial-stdio [OPTIONS]",
            .description = "Proxy the stdio stream to the daemon connection: what a client runs "
                           "over SSH (ssh HOST berthd dial-stdio) to reach the engine.",
            .flags = flags,
            .interspersed = true,
    };
    bt_autoerr bt_err *err = NULL;
    bt_autofree char **args = NULL;
    int rc = bt_flags_parse(&fs, argc - 1, argv + 1, &args, &err);
    if (rc == BT_FLAGS_HELP) {
        bt_flags_print_help(&fs, stdout);
        return 1;
    }
    if (rc < 0 || args[0]) {
        fprintf(stderr, "%s\nSee 'berthd dial-stdio --help'.\n",
                rc < 0 ? bt_err_msg(err) : "\"berthd dial-stdio\" accepts no arguments.");
        return -1;
    }
    return 0;
}

int berthd_dial_stdio(int argc, char **argv)
{
    const char *host = DEFAULT_HOST;
    int rc = parse(argc, argv, &host);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    int sock = dial(host);
    if (sock < 0)
        return 1;
    struct copy in = {.from = STDIN_FILENO, .to = sock, .what = "stdin to stream"};
    struct copy out = {.from = sock, .to = STDOUT_FILENO, .what = "stream to stdout"};
    pthread_t t;
    if (pthread_create(&t, NULL, stdin_to_socket, &in) != 0) {
        fprintf(stderr, "berthd dial-stdio: cannot start a thread\n");
        return 1;
    }
    pthread_detach(t);
    int status = copy_all(&out) < 0 ? 1 : 0;
    /* the engine is done: so is the client's stdout (its EOF) */
    close(STDOUT_FILENO);
    if (status)
        print_error(&out);
    else if (in.error) {
        print_error(&in);
        status = 1;
    }
    /* The stdin thread may still run (blocked on a client that has not closed its end, or
     * binding a symbol lazily): exit() would run the libraries' destructors under it, which
     * crashed in ld.so on a one-CPU VM. Nothing is left to flush but stdio. */
    fflush(NULL);
    _exit(status);
}
