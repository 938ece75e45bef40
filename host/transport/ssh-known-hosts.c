/* SPDX-License-Identifier: Apache-2.0 */
/*
 * known_hosts, as OpenSSH reads and writes it, through libssh2's knownhost store.
 *
 * libssh2 does the format (plain and hashed "|1|salt|hash" names, comma lists, key types);
 * this file adds what OpenSSH does and libssh2 does not:
 *  - a line it cannot read is skipped, where libssh2_knownhost_readfile() stops at it and
 *    forgets every host after it;
 *  - a host is looked up under exactly the name ssh files it under ("[host]:port" unless the
 *    port is 22): libssh2_knownhost_checkp() with a port also tries the bare host, which would
 *    take a key trusted for port 22 as proof for another server on another port;
 *  - @revoked keys are refused;
 *  - new hosts are appended, never rewritten: libssh2_knownhost_writefile() would rewrite the
 *    whole file from what libssh2 understood, dropping the lines it skipped.
 * Host patterns (*, ?, !) and @cert-authority lines are not supported (they are skipped).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/transport/ssh-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"

/* Where each entry came from, for "Offending key in FILE:LINE". */
struct entry_line {
    struct libssh2_knownhost *entry;
    int line;
};

struct tp_known_hosts {
    LIBSSH2_KNOWNHOSTS *main;
    LIBSSH2_KNOWNHOSTS *revoked; /* every @revoked key, filed under REVOKED_NAME */
    struct entry_line *lines;
    size_t n_lines;
    struct libssh2_knownhost *last; /* the newest entry of `main` seen so far */
};

#define REVOKED_NAME "revoked"

static int key_bits(int hostkey_type)
{
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return LIBSSH2_KNOWNHOST_KEY_ED25519;
    }
    return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

const char *tp_hostkey_type_name(int type)
{
    switch (type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return "RSA";
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        return "DSA";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return "ECDSA";
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return "ED25519";
    }
    return "unknown";
}

char *tp_base64_nopad(const unsigned char *data, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "");
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        bt_strbuf_append_c(&sb, abc[v >> 18 & 63]);
        bt_strbuf_append_c(&sb, abc[v >> 12 & 63]);
        if (i + 1 < len)
            bt_strbuf_append_c(&sb, abc[v >> 6 & 63]);
        if (i + 2 < len)
            bt_strbuf_append_c(&sb, abc[v & 63]);
    }
    return bt_strbuf_steal(&sb);
}

size_t tp_base64_decode(const char *s, size_t n, unsigned char *out, size_t max)
{
    unsigned v = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && o < max; i++) {
        char c = s[i];
        int d;
        if (c >= 'A' && c <= 'Z')
            d = c - 'A';
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            d = c - '0' + 52;
        else if (c == '+')
            d = 62;
        else if (c == '/')
            d = 63;
        else if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
            continue;
        else
            break;
        v = (v << 6 | (unsigned)d) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits);
        }
    }
    return o;
}

char *tp_hostkey_fingerprint(LIBSSH2_SESSION *session)
{
    const char *hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
    if (!hash)
        return bt_xstrdup("(no fingerprint)");
    bt_autofree char *b64 = tp_base64_nopad((const unsigned char *)hash, 32);
    return bt_xasprintf("SHA256:%s", b64);
}

char *tp_kh_host_name(const char *host, int port)
{
    bt_autofree char *lower = bt_xstrdup(host);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (port == 0 || port == 22)
        return bt_steal_ptr(&lower);
    return bt_xasprintf("[%s]:%d", lower, port);
}

/* Note the line of every entry libssh2 added since the last call. */
static void record_lines(struct tp_known_hosts *kh, int line)
{
    struct libssh2_knownhost *next;
    while (libssh2_knownhost_get(kh->main, &next, kh->last) == 0) {
        kh->lines = bt_xreallocarray(kh->lines, kh->n_lines + 1, sizeof(*kh->lines));
        kh->lines[kh->n_lines++] = (struct entry_line){next, line};
        kh->last = next;
    }
}

/* A hashed name is "|1|" base64(salt) "|" base64(HMAC-SHA1): libssh2 1.10 takes a hash of
 * another length and then leaks an HMAC context at every check against it, so such a name is
 * refused here (it could never match anyway). */
static bool hashed_name_ok(const char *h, size_t n)
{
    if (n < 3 || strncmp(h, "|1|", 3) != 0)
        return true; /* not hashed */
    const char *salt = h + 3;
    const char *bar = memchr(salt, '|', n - 3);
    if (!bar || memchr(bar + 1, '|', n - (size_t)(bar + 1 - h)))
        return false;
    unsigned char buf[64];
    size_t hlen = n - (size_t)(bar + 1 - h);
    return hlen == 28 && bar[1 + 27] == '=' &&
           tp_base64_decode(bar + 1, hlen, buf, sizeof(buf)) == 20 &&
           tp_base64_decode(salt, (size_t)(bar - salt), buf, sizeof(buf)) > 0;
}

static void load_line(struct tp_known_hosts *kh, const char *line, size_t len, int lineno,
                      const char *name)
{
    while (len && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    if (!len || *line == '#')
        return;
    if (*line == '@') {
        size_t w = 0;
        while (w < len && line[w] != ' ' && line[w] != '\t')
            w++;
        if (w == 8 && !strncmp(line, "@revoked", 8)) {
            /* "@revoked HOSTS KEYTYPE KEY": keep the key, under one name for every host */
            const char *p = line + w;
            size_t n = len - w;
            while (n && (*p == ' ' || *p == '\t'))
                p++, n--;
            while (n && *p != ' ' && *p != '\t')
                p++, n--;
            bt_autofree char *l = bt_xasprintf(REVOKED_NAME "%.*s", (int)n, p);
            if (libssh2_knownhost_readline(kh->revoked, l, strlen(l),
                                           LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
                bt_debug("%s:%d: @revoked line not understood, skipped", name, lineno);
        } else {
            bt_debug("%s:%d: %.*s lines are not supported, skipped", name, lineno, (int)w, line);
        }
        return;
    }
    size_t hostlen = strcspn(line, " \t");
    if (!hashed_name_ok(line, hostlen < len ? hostlen : len)) {
        bt_debug("%s:%d: malformed hashed host name, skipped", name, lineno);
        return;
    }
    if (libssh2_knownhost_readline(kh->main, line, len, LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
        bt_debug("%s:%d: line not understood, skipped", name, lineno);
        return;
    }
    record_lines(kh, lineno);
}

struct tp_known_hosts *tp_kh_load_buffer(LIBSSH2_SESSION *session, const char *data, size_t len,
                                         const char *name)
{
    struct tp_known_hosts *kh = bt_xzalloc(sizeof(*kh));
    kh->main = libssh2_knownhost_init(session);
    kh->revoked = libssh2_knownhost_init(session);
    if (!kh->main || !kh->revoked)
        abort(); /* allocation failure: no OOM paths */
    int lineno = 0;
    size_t off = 0;
    while (off < len) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (data + off)) : len - off;
        lineno++;
        /* libssh2 takes the line up to a NUL or a newline: give it a clean copy */
        bt_autofree char *line = bt_xstrndup(data + off, n);
        size_t l = strlen(line);
        while (l && line[l - 1] == '\r')
            line[--l] = '\0';
        load_line(kh, line, l, lineno, name);
        off += n + (nl ? 1 : 0);
    }
    return kh;
}

struct tp_known_hosts *tp_kh_load(LIBSSH2_SESSION *session, const char *path, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf buf = BT_STRBUF_INIT;
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        bt_err_errno(err, errno, "open \"%s\"", path);
        return NULL;
    }
    if (fd >= 0 && bt_fd_read_all(fd, &buf, 16 * 1024 * 1024, err) < 0)
        return NULL;
    return tp_kh_load_buffer(session, buf.buf ? buf.buf : "", buf.len, path);
}

void tp_kh_free(struct tp_known_hosts *kh)
{
    if (!kh)
        return;
    libssh2_knownhost_free(kh->main);
    libssh2_knownhost_free(kh->revoked);
    free(kh->lines);
    free(kh);
}

size_t tp_kh_count(const struct tp_known_hosts *kh)
{
    return kh->n_lines;
}

static int line_of(const struct tp_known_hosts *kh, const struct libssh2_knownhost *e)
{
    for (size_t i = 0; i < kh->n_lines; i++)
        if (kh->lines[i].entry == e)
            return kh->lines[i].line;
    return 0;
}

enum tp_kh_status tp_kh_check(struct tp_known_hosts *kh, const char *name, const char *key,
                              size_t keylen, int type, int *line)
{
    int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key_bits(type);
    struct libssh2_knownhost *found = NULL;
    *line = 0;
    if (libssh2_knownhost_checkp(kh->revoked, REVOKED_NAME, -1, key, keylen, mask, NULL) ==
        LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return TP_KH_REVOKED;
    /* port -1: look up `name` only (see the top of this file) */
    switch (libssh2_knownhost_checkp(kh->main, name, -1, key, keylen, mask, &found)) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
        return TP_KH_MATCH;
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
        return TP_KH_NOTFOUND;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
        *line = found ? line_of(kh, found) : 0;
        return TP_KH_MISMATCH;
    default: /* a failure inside libssh2: refuse rather than trust */
        return TP_KH_MISMATCH;
    }
}

/* Whether `name` has a key of this type on file: a check with a key that matches nothing
 * answers MISMATCH exactly when a key of the type is filed for the name. */
static bool has_type(struct tp_known_hosts *kh, const char *name, int type)
{
    int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_BASE64 | key_bits(type);
    return libssh2_knownhost_checkp(kh->main, name, -1, "", 0, mask, NULL) ==
           LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
}

char *tp_kh_hostkey_prefs(struct tp_known_hosts *kh, const char *name)
{
    /* OpenSSH 9's default order of plain host-key algorithms. rsa-sha2-* are listed for
     * libssh2 versions that have them; libssh2 drops the names it does not know. */
    static const struct {
        int type;
        const char *algs;
    } order[] = {
            {LIBSSH2_HOSTKEY_TYPE_ED25519, "ssh-ed25519"},
            {LIBSSH2_HOSTKEY_TYPE_ECDSA_256, "ecdsa-sha2-nistp256"},
            {LIBSSH2_HOSTKEY_TYPE_ECDSA_384, "ecdsa-sha2-nistp384"},
            {LIBSSH2_HOSTKEY_TYPE_ECDSA_521, "ecdsa-sha2-nistp521"},
            {LIBSSH2_HOSTKEY_TYPE_RSA, "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
    };
    size_t n = sizeof(order) / sizeof(order[0]);
    bool known[sizeof(order) / sizeof(order[0])];
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        known[i] = has_type(kh, name, order[i].type);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++)
            if (known[i] == (pass == 0)) {
                if (sb.len)
                    bt_strbuf_append_c(&sb, ',');
                bt_strbuf_append(&sb, order[i].algs);
            }
    return bt_strbuf_steal(&sb);
}

int tp_kh_append(struct tp_known_hosts *kh, const char *path, const char *name, const char *key,
                 size_t keylen, int type, bt_err **err)
{
    struct libssh2_knownhost *entry = NULL;
    int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key_bits(type);
    if (libssh2_knownhost_addc(kh->main, name, NULL, key, keylen, NULL, 0, mask, &entry) != 0)
        return bt_err_set(err, BT_E_INTERNAL, "add \"%s\" to the known hosts", name);
    char line[8192];
    size_t len = 0;
    if (libssh2_knownhost_writeline(kh->main, entry, line, sizeof(line), &len,
                                    LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
        return bt_err_set(err, BT_E_INTERNAL, "format the known_hosts line of \"%s\"", name);

    bt_autofree char *dir = bt_path_dirname(path);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return bt_err_errno(err, errno, "create \"%s\"", dir);
    bt_autoclose int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", path);
    /* a file whose last line has no newline gets one first */
    struct stat st;
    char last = '\n';
    if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
        last != '\n' && bt_fd_write_all(fd, "\n", 1, err) < 0)
        return bt_err_wrap(err, "append to \"%s\"", path);
    if (bt_fd_write_all(fd, line, len, err) < 0)
        return bt_err_wrap(err, "append to \"%s\"", path);
    return 0;
}
