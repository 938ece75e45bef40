/* SPDX-License-Identifier: Apache-2.0 */
#include "host/term/term.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int term_make_raw(int fd, struct term_state *st, bt_err **err)
{
    st->fd = fd;
    st->saved = false;
    if (!isatty(fd))
        return 0;
    if (tcgetattr(fd, &st->orig) < 0)
        return bt_err_errno(err, errno, "unable to set IO streams as raw terminal");
    struct termios t = st->orig;
    /* golang.org/x/term MakeRaw */
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &t) < 0)
        return bt_err_errno(err, errno, "unable to set IO streams as raw terminal");
    st->saved = true;
    return 0;
}

void term_restore(struct term_state *st)
{
    if (st->saved) {
        tcsetattr(st->fd, TCSANOW, &st->orig);
        st->saved = false;
    }
}

bool term_size(int fd, unsigned *rows, unsigned *cols)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
        return false;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return true;
}

bool term_width(int fd, unsigned *cols)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
        return false;
    *cols = ws.ws_col;
    return true;
}

int term_parse_keys(const char *spec, unsigned char *keys, size_t *n, bt_err **err)
{
    *n = 0;
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ",");
        unsigned char k;
        if (len == 1) {
            k = (unsigned char)p[0];
        } else if (len == 6 && strncmp(p, "ctrl-", 5) == 0) {
            char c = p[5];
            if (c >= 'a' && c <= 'z')
                k = (unsigned char)(c - 'a' + 1);
            else if (c == '@')
                k = 0;
            else if (c >= '[' && c <= '_')
                k = (unsigned char)(c - '[' + 27);
            else
                return bt_err_set(err, BT_E_INVALID, "Unknown character: '%.*s'", (int)len, p);
        } else {
            return bt_err_set(err, BT_E_INVALID, "Unknown character: '%.*s'", (int)len, p);
        }
        if (*n == TERM_MAX_KEYS)
            return bt_err_set(err, BT_E_INVALID, "too many detach keys");
        keys[(*n)++] = k;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

bool term_escape_filter(struct term_escape *e, const unsigned char *in, size_t len,
                        unsigned char *out, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (e->n && in[i] == e->keys[e->matched]) {
            e->matched++;
            if (e->matched == e->n) {
                *out_len = o;
                return true;
            }
            continue;
        }
        /* the held-back prefix was not the sequence after all: it goes through */
        for (size_t k = 0; k < e->matched; k++)
            out[o++] = e->keys[k];
        e->matched = 0;
        if (e->n && in[i] == e->keys[0]) {
            e->matched = 1;
            if (e->n == 1) {
                *out_len = o;
                return true;
            }
            continue;
        }
        out[o++] = in[i];
    }
    *out_len = o;
    return false;
}
