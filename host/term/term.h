/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The user's terminal: raw mode while a container's TTY is attached, its size, and the detach
 * keys (docker's "ctrl-p,ctrl-q" notation) watched on the way in, as moby/term's EscapeProxy
 * does it: a partial match is held back until it either completes (detach) or fails (then the
 * held bytes go to the container after all).
 */
#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#include "shared/base/err.h"

struct term_state {
    int fd;
    bool saved;
    struct termios orig;
};

/* Put fd in raw mode (as moby/term's MakeRaw: no echo, no line editing, no signals, no output
 * processing); remember how it was. Not a terminal: nothing happens, 0. */
int term_make_raw(int fd, struct term_state *st, bt_err **err);
/* Restore what term_make_raw changed (idempotent). */
void term_restore(struct term_state *st);

/* The size of the terminal on fd; false when fd is not a terminal. */
bool term_size(int fd, unsigned *rows, unsigned *cols);
/* The width alone, as moby/term's GetWinsize gives it: whatever the terminal says, 0 included
 * (a pty nobody sized); false when fd is not a terminal. */
bool term_width(int fd, unsigned *cols);

#define TERM_MAX_KEYS 16

/* Parse "ctrl-p,ctrl-q" into bytes (ctrl-@, ctrl-a..z, ctrl-[ \ ] ^ _ and single characters):
 * moby/term's ToBytes, with its error "Unknown character: 'x'". */
int term_parse_keys(const char *spec, unsigned char *keys, size_t *n, bt_err **err);

struct term_escape {
    unsigned char keys[TERM_MAX_KEYS];
    size_t n;
    size_t matched; /* how many keys the bytes so far match */
};

/* Filter input: bytes to forward go to out (which has room for len + TERM_MAX_KEYS bytes) and
 * *out_len says how many; returns true when the whole sequence was typed (detach). */
bool term_escape_filter(struct term_escape *e, const unsigned char *in, size_t len,
                        unsigned char *out, size_t *out_len);
