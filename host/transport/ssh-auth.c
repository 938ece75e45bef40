/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Public-key authentication, in the order the brief of `berth -H ssh://` promises: the
 * identity file the caller names (the machine store passes a VM's key), then the keys of
 * ssh-agent (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519, id_ecdsa and id_rsa. Passwords and
 * keyboard-interactive are not offered: berth cannot prompt in the middle of an API call.
 *
 * Runs with the session in blocking mode (libssh2's agent code is not reliable in non-blocking
 * mode); libssh2_session_set_timeout() bounds every step.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/transport/ssh-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

const char *tp_ssh_last_error(LIBSSH2_SESSION *session)
{
    char *msg = NULL;
    libssh2_session_last_error(session, &msg, NULL, 0);
    return msg ? msg : "";
}

bool tp_key_file_is_encrypted(const char *data, size_t len)
{
    static const char openssh_begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
    if (memmem(data, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37))
        return true; /* PKCS#8 */
    if (memmem(data, len, "Proc-Type: 4,ENCRYPTED", 22))
        return true; /* traditional PEM */
    const char *b = memmem(data, len, openssh_begin, sizeof(openssh_begin) - 1);
    if (!b)
        return false;
    /* PROTOCOL.key: "openssh-key-v1\0", then string ciphername (uint32 length + bytes) */
    size_t off = (size_t)(b - data) + sizeof(openssh_begin) - 1;
    unsigned char head[64];
    size_t n = tp_base64_decode(data + off, len - off, head, sizeof(head));
    static const char magic[] = "openssh-key-v1";
    if (n < sizeof(magic) + 4 || memcmp(head, magic, sizeof(magic)) != 0)
        return false;
    const unsigned char *p = head + sizeof(magic);
    size_t clen = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (clen == 4 && n >= sizeof(magic) + 8 && !memcmp(p + 4, "none", 4))
        return false;
    return true;
}

struct attempt_log {
    struct bt_strbuf tried; /* "; "-separated: what was tried and how it fared */
    bool rsa_refused;
};

static void attempt_log_free(struct attempt_log *log)
{
    bt_strbuf_free(&log->tried);
}

static void note(struct attempt_log *log, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void note(struct attempt_log *log, const char *fmt, ...)
{
    va_list ap;
    if (log->tried.len)
        bt_strbuf_append(&log->tried, "; ");
    va_start(ap, fmt);
    bt_strbuf_appendv(&log->tried, fmt, ap);
    va_end(ap);
}

/* Errors after which the session is gone: stop trying keys. */
static bool fatal(int rc)
{
    return rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_SEND ||
           rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_TIMEOUT ||
           rc == LIBSSH2_ERROR_SOCKET_TIMEOUT || rc == LIBSSH2_ERROR_SOCKET_NONE;
}

static int fatal_error(LIBSSH2_SESSION *s, int rc, bt_err **err)
{
    if (rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_SOCKET_TIMEOUT)
        return bt_err_set(err, BT_E_TIMEOUT, "the server did not answer in time");
    return bt_err_set(err, BT_E_UNAVAILABLE,
                      "the server closed the connection (%s); too many keys tried? (sshd's "
                      "MaxAuthTries)",
                      tp_ssh_last_error(s));
}

/* 1 authenticated, 0 not (noted in the log), -1 the session failed. `shown` names the key. */
static int try_key_file(LIBSSH2_SESSION *s, const char *user, const char *path, const char *shown,
                        bool explicit, bool agent_tried, struct attempt_log *log, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf buf = BT_STRBUF_INIT;
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (explicit || errno != ENOENT)
            note(log, "%s: %s", shown, strerror(errno));
        return 0;
    }
    bt_autoerr bt_err *rerr = NULL;
    if (bt_fd_read_all(fd, &buf, 1024 * 1024, &rerr) < 0) {
        note(log, "%s: %s", shown, bt_err_msg(rerr));
        return 0;
    }
    if (tp_key_file_is_encrypted(buf.buf ? buf.buf : "", buf.len)) {
        note(log,
             "%s: encrypted with a passphrase, which berth cannot ask for%s: add it to "
             "ssh-agent with `ssh-add %s`",
             shown, agent_tried ? " (and the agent did not hold it)" : "", path);
        return 0;
    }
    int rc = libssh2_userauth_publickey_fromfile_ex(s, user, (unsigned)strlen(user), NULL, path,
                                                    NULL);
    if (rc == 0)
        return 1;
    if (fatal(rc))
        return fatal_error(s, rc, err);
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
        note(log, "%s: refused by the server", shown);
        if (buf.buf && (strstr(buf.buf, "BEGIN RSA PRIVATE KEY") || strstr(path, "rsa")))
            log->rsa_refused = true;
    } else {
        note(log, "%s: not usable (%s)", shown, tp_ssh_last_error(s));
    }
    return 0;
}

static int try_agent(LIBSSH2_SESSION *s, const char *user, struct attempt_log *log, bt_err **err)
{
    const char *sock = getenv("SSH_AUTH_SOCK");
    if (!sock || !sock[0])
        return 0;
    LIBSSH2_AGENT *agent = libssh2_agent_init(s);
    if (!agent) {
        note(log, "ssh-agent: %s", tp_ssh_last_error(s));
        return 0;
    }
    int result = 0;
    if (libssh2_agent_connect(agent) != 0) {
        note(log, "ssh-agent at \"%s\": cannot connect (%s)", sock, tp_ssh_last_error(s));
        goto out;
    }
    if (libssh2_agent_list_identities(agent) != 0) {
        note(log, "ssh-agent at \"%s\": cannot list keys (%s)", sock, tp_ssh_last_error(s));
        goto out;
    }
    struct libssh2_agent_publickey *id = NULL, *prev = NULL;
    int n = 0;
    while (libssh2_agent_get_identity(agent, &id, prev) == 0) {
        n++;
        int rc = libssh2_agent_userauth(agent, user, id);
        if (rc == 0) {
            result = 1;
            goto out;
        }
        if (fatal(rc)) {
            result = fatal_error(s, rc, err);
            goto out;
        }
        bt_debug("ssh-agent key \"%s\" refused", id->comment ? id->comment : "");
        prev = id;
    }
    note(log, n ? "ssh-agent: %d key%s refused by the server" : "ssh-agent: no keys", n,
         n == 1 ? "" : "s");
out:
    libssh2_agent_disconnect(agent);
    libssh2_agent_free(agent);
    return result;
}

int tp_ssh_authenticate(LIBSSH2_SESSION *s, const struct tp_auth_opts *o, bt_err **err)
{
    const char *user = o->user;
    char *methods = libssh2_userauth_list(s, user, (unsigned)strlen(user));
    if (!methods) {
        if (libssh2_userauth_authenticated(s))
            return 0; /* the server took "none" */
        return bt_err_set(err, BT_E_UNAVAILABLE, "ask for the methods: %s", tp_ssh_last_error(s));
    }
    if (!strstr(methods, "publickey"))
        return bt_err_set(err, BT_E_UNAUTHORIZED,
                          "the server does not accept keys (it offers: %s); berth signs in with "
                          "keys only",
                          methods);

    __attribute__((cleanup(attempt_log_free))) struct attempt_log log = {0};
    int rc = 0;
    bool agent_tried = !o->no_agent && getenv("SSH_AUTH_SOCK") && getenv("SSH_AUTH_SOCK")[0];
    if (o->identity_file) {
        bt_autofree char *shown = bt_xasprintf("identity file \"%s\"", o->identity_file);
        rc = try_key_file(s, user, o->identity_file, shown, true, false, &log, err);
    }
    if (rc == 0 && !o->no_agent)
        rc = try_agent(s, user, &log, err);
    static const char *const defaults[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
    for (size_t i = 0; rc == 0 && !o->no_default_keys && o->home && i < 3; i++) {
        bt_autofree char *path = bt_xasprintf("%s/.ssh/%s", o->home, defaults[i]);
        bt_autofree char *shown = bt_xasprintf("~/.ssh/%s", defaults[i]);
        rc = try_key_file(s, user, path, shown, false, agent_tried, &log, err);
    }
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    return bt_err_set(err, BT_E_UNAUTHORIZED,
                      "no key was accepted for user \"%s\" (%s). Add your public key to "
                      "~%s/.ssh/authorized_keys on the host, or load the right key into "
                      "ssh-agent (ssh-add)%s",
                      user,
                      log.tried.len ? bt_strbuf_str(&log.tried)
                                    : "no keys to try: no identity "
                                      "file, no ssh-agent, no "
                                      "~/.ssh/id_* files",
                      user,
                      log.rsa_refused ? ". RSA keys: this build's libssh2 signs them with "
                                        "SHA-1 only, which OpenSSH 8.8 and later refuse; use an "
                                        "ed25519 key"
                                      : "");
}
