/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The control protocol between berthd and a monitor (berth-monitor): one text message per
 * SOCK_SEQPACKET datagram, words separated by spaces, the last word of some messages being
 * free text; a message may carry one file descriptor (SCM_RIGHTS). berthd talks over the
 * socketpair it spawns the monitor with, and after a restart over the monitor's ctl.sock.
 *
 * berthd -> monitor
 *   attach TOKEN FLAGS DETACHKEYS   + the client's socket. FLAGS: letters i (stdin), o
 *                                   (stdout), e (stderr), or "-"; DETACHKEYS: bytes in hex
 *                                   ("1011" is ctrl-p ctrl-q) or "-" for none
 *   start                           create the container now (after the first attaches)
 *   kill SIGNAL                     signal the container's init (or the exec'd process)
 *   resize ROWS COLS                resize the terminal
 *   hello                           a reconnected berthd asks for the state
 * monitor -> berthd
 *   started PID                     the process runs (after execve succeeded)
 *   failed STATUS MESSAGE           it could not start; STATUS is the exit code Docker
 *                                   reports (127 not found, 126 not executable, 125 other)
 *   running PID                     answer to hello
 *   exited STATUS OOM FINISHED      STATUS as Docker reports (128+signal for a signal), OOM
 *                                   0/1, FINISHED unix time in nanoseconds
 *   detached TOKEN                  the monitor is done with an attach client
 *
 * Thread safety: none needed; a connection is used by one thread at a time.
 */
#include <stddef.h>
#include <sys/types.h>

#include "shared/base/err.h"

#define MONPROTO_MAX 4096

/* Send one message (printf-style) with an optional fd (-1: none). */
int monproto_send(int sock, int fd, bt_err **err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Receive one message into buf (NUL-terminated). *fd gets a passed descriptor or -1. Returns
 * the length, 0 when the peer closed, -1 on error. */
ssize_t monproto_recv(int sock, char *buf, size_t size, int *fd, bt_err **err);

/* Split a message into at most max words; the last word takes the rest of the line. Returns
 * the count; buf is modified. */
size_t monproto_split(char *buf, char **words, size_t max);

/* A SOCK_SEQPACKET socketpair, both ends close-on-exec. */
int monproto_socketpair(int sv[2], bt_err **err);
