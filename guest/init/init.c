/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-init: the container's PID 1 for `docker run --init` (dockerd's docker-init, which is
 * tini). The engine bind-mounts this program at /sbin/docker-init and runs
 * "/sbin/docker-init -- CMD ARGS...". It runs CMD as its child and then:
 *  - forwards the signals it gets (docker stop's SIGTERM, docker kill's) to the child: as
 *    PID 1 of a PID namespace the kernel would drop them for a program without handlers, so
 *    a command that never expected to be PID 1 still stops at once;
 *  - reaps every process that ends up its child (orphans are re-parented to PID 1), so no
 *    zombies pile up;
 *  - exits with the child's status (128 + signal when a signal ended it) once the child is
 *    gone; the kernel then kills what is left of the container.
 * Signals stay blocked in PID 1 and are taken with sigwaitinfo(): a blocked signal is queued
 * even for an init without handlers. Statically linked and free of the engine's libraries: it
 * runs inside any image. With a terminal the child gets its own process group in the
 * foreground, so ^C reaches it once, from the kernel, not twice.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Signals that report a fault of this process itself, or are about terminals: not forwarded. */
static const int own_signals[] = {SIGFPE,  SIGILL, SIGSEGV, SIGBUS, SIGABRT,
                                  SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU};

static void forwarded_set(sigset_t *set)
{
    sigfillset(set);
    for (size_t i = 0; i < sizeof(own_signals) / sizeof(own_signals[0]); i++)
        sigdelset(set, own_signals[i]);
}

static pid_t spawn(char **argv, const sigset_t *old)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (isatty(STDIN_FILENO)) {
        /* tcsetpgrp from a background group sends SIGTTOU: ignored for the while */
        signal(SIGTTOU, SIG_IGN);
        setpgid(0, 0);
        tcsetpgrp(STDIN_FILENO, getpid());
        signal(SIGTTOU, SIG_DFL);
    }
    sigprocmask(SIG_SETMASK, old, NULL);
    execvp(argv[0], argv);
    int e = errno;
    fprintf(stderr, "[FATAL berth-init] exec %s failed: %s\n", argv[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

/* Reap every child that ended; the child's status in *status when it is among them. */
static bool reap(pid_t child, int *status)
{
    bool child_done = false;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p <= 0)
            return child_done;
        if (p == child) {
            child_done = true;
            *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
    }
}

int main(int argc, char **argv)
{
    int first = 1;
    if (first < argc && strcmp(argv[first], "--") == 0)
        first++;
    if (first >= argc) {
        fprintf(stderr, "usage: %s -- PROGRAM [ARGS...]\n", argv[0]);
        return 1;
    }
    sigset_t set, old;
    forwarded_set(&set);
    sigprocmask(SIG_BLOCK, &set, &old);
    /* not PID 1 (docker exec of it, or --pid host): orphans should still come here */
    if (getpid() != 1)
        prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t child = spawn(argv + first, &old);
    if (child < 0) {
        perror("[FATAL berth-init] fork");
        return 1;
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        int status = 0;
        if (reap(child, &status)) {
            reap(-1, &status); /* what the child left: reaped before the kernel kills the rest */
            return status;
        }
    }
}
