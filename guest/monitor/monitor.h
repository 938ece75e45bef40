/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * berth-monitor: one small process per running container (and per exec), like podman's
 * conmon. It is the parent of the container's process, owns its stdio, writes the json-file
 * log, serves attach clients (their sockets are handed over by berthd), forwards signals and
 * terminal sizes, and records the exit status. berthd may crash or restart meanwhile: the
 * monitor goes on, and berthd reconnects through ctl.sock.
 *
 * Single-threaded: an event loop over the container's output, the attach clients and the
 * control connections (see guest/engine/monproto/monproto.h for the protocol).
 */
#include <stdbool.h>
#include <sys/types.h>

#include "guest/monitor/logfile.h"

#define MON_MAX_CLIENTS 64
#define MON_MAX_CTLS    8

struct mon_client;

struct mon {
    bool tty;
    bool stdin_once;  /* close the process's stdin when the first stdin client ends it */
    int stdin_w;      /* write side of the process's stdin (pipe or pty master), -1 */
    int out_r, err_r; /* read sides of stdout/stderr (pty master in out_r for a tty), -1 */
    pid_t pid;        /* the process, once started */
    bool exited;
    int status; /* Docker's exit status once exited */
    struct logfile *log;
    int listen_fd; /* ctl.sock, -1 for none */
    int ctls[MON_MAX_CTLS];
    size_t nctls;
    struct mon_client *clients[MON_MAX_CLIENTS];
    size_t nclients;
    int sigfd;
    /* called for "kill", "resize" is handled here (tty) */
};

void mon_init(struct mon *m);

/* Add a control connection (the spawn socketpair, or one accepted on ctl.sock). */
void mon_add_ctl(struct mon *m, int fd);

/* Handle one control message that arrived on ctl (attach, kill, resize, hello); "start" is
 * the caller's business and is returned as 1. 0 otherwise, -1 when the connection closed. */
int mon_handle_ctl(struct mon *m, int ctl);

/* Send a message to every control connection. */
void mon_broadcast(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run the loop until the process has exited and its output is drained and delivered (or
 * clients gave up). The clients stay connected: the caller reports the exit first (a docker
 * CLI asks for the exit code as soon as its stream ends), then calls mon_close_clients(). */
void mon_loop(struct mon *m);
void mon_close_clients(struct mon *m);

/* After "exited" went out: wait (at most timeout_ms) until berthd closed the control
 * connections, which it does once the exit is recorded. A client whose stream ends is sure
 * to find the exit code when it asks right after. */
void mon_await_recorded(struct mon *m, int timeout_ms);

/* Docker's status for a waitpid() status: the exit code, or 128 + signal. */
int mon_exit_status(int wstatus);
