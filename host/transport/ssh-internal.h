/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Internals of the SSH transport, shared by its files and its tests (not by other modules:
 * this header lets libssh2's types through, transport.h does not).
 *
 *   ssh-url.c          ssh:// URLs, shell quoting (pure)
 *   ssh-known-hosts.c  known_hosts: loading, checking, appending, fingerprints
 *   ssh-auth.c         authentication: identity file, ssh-agent, default keys
 *   ssh.c              the dial: TCP, handshake, host key, auth, exec; the connection handle
 *   ssh-bridge.c       the bridge thread: channel <-> local socket, EOFs, stderr, exit status
 *   sftp.c             copies over SFTP (`berth machine scp`), on a session of its own
 */
#include <libssh2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "host/transport/transport.h"
#include "shared/base/strbuf.h"

/* libssh2_init() once per process (thread-safe). */
void tp_ssh_library_init(void);

/* An authenticated session, blocking, for a caller that drives libssh2 itself (sftp.c): the
 * dial of tp_ssh_connect() without a command or a bridge. */
struct tp_ssh_session {
    LIBSSH2_SESSION *s;
    int sock;
    char *desc; /* "ssh root@host port 22" */
};
int tp_ssh_session_open(const struct tp_ssh_opts *o, struct tp_ssh_session *out, bt_err **err);
void tp_ssh_session_close(struct tp_ssh_session *ss);

/* ---- known_hosts -------------------------------------------------------------------------- */

enum tp_kh_status {
    TP_KH_MATCH,    /* the host is known with this key */
    TP_KH_MISMATCH, /* the host is known with another key of this type */
    TP_KH_NOTFOUND, /* no key of this type for the host */
    TP_KH_REVOKED,  /* the key is marked @revoked */
};

struct tp_known_hosts;

/* Read an OpenSSH known_hosts file into `session`'s knownhost store. A missing file is an
 * empty one. Lines libssh2 cannot read (other key types, @cert-authority) are skipped, not
 * fatal, so that one odd line does not hide every host after it (libssh2's own readfile stops
 * there). @revoked keys are kept apart and refused for every host. */
struct tp_known_hosts *tp_kh_load(LIBSSH2_SESSION *session, const char *path, bt_err **err);
/* The same from memory (tests, fuzzing); `name` is used in messages. */
struct tp_known_hosts *tp_kh_load_buffer(LIBSSH2_SESSION *session, const char *data, size_t len,
                                         const char *name);
void tp_kh_free(struct tp_known_hosts *kh);
/* Entries read (for tests). */
size_t tp_kh_count(const struct tp_known_hosts *kh);

/* The name OpenSSH files a host under: "host" for port 22, "[host]:port" otherwise. Only that
 * name is looked up, as OpenSSH does (libssh2's checkp would also accept a key filed for port
 * 22 at any port). The host is lower-cased, as ssh does. */
char *tp_kh_host_name(const char *host, int port);

/* Check a host key (raw blob; type a LIBSSH2_HOSTKEY_TYPE_*). On MISMATCH *line is the line of
 * the key on file, for the message (0 when unknown). */
enum tp_kh_status tp_kh_check(struct tp_known_hosts *kh, const char *name, const char *key,
                              size_t keylen, int type, int *line);

/* Host-key algorithms for libssh2_session_method_pref(): OpenSSH's order, with the types filed
 * for `name` first, as ssh orders them, so that a host known by its ECDSA key is not met with
 * a new ED25519 one. */
char *tp_kh_hostkey_prefs(struct tp_known_hosts *kh, const char *name);

/* Append "name keytype base64" to the file (created 0600, its directory 0700 if missing), as
 * StrictHostKeyChecking=accept-new does. */
int tp_kh_append(struct tp_known_hosts *kh, const char *path, const char *name, const char *key,
                 size_t keylen, int type, bt_err **err);

/* "ED25519", "ECDSA", "RSA", "DSA" for a LIBSSH2_HOSTKEY_TYPE_* */
const char *tp_hostkey_type_name(int type);

/* "SHA256:<base64 without padding>" of the session's host key, as ssh prints it. */
char *tp_hostkey_fingerprint(LIBSSH2_SESSION *session);

/* Standard base64 without padding (fingerprints). */
char *tp_base64_nopad(const unsigned char *data, size_t len);

/* Decode standard base64 into out (at most max bytes), skipping white space and stopping at
 * '=' or any other byte; returns the bytes decoded. */
size_t tp_base64_decode(const char *s, size_t n, unsigned char *out, size_t max);

/* ---- authentication ----------------------------------------------------------------------- */

/* Whether a private key file is protected by a passphrase: PEM with "Proc-Type: 4,ENCRYPTED"
 * or "BEGIN ENCRYPTED PRIVATE KEY", or OpenSSH's own format with a cipher other than "none".
 * Reads only the header; false for anything it does not recognise. */
bool tp_key_file_is_encrypted(const char *data, size_t len);

struct tp_auth_opts {
    const char *user;
    const char *home;
    const char *identity_file;
    bool no_agent;
    bool no_default_keys;
};

/* Authenticate the session (blocking mode) with the keys of opts, in order; the error lists
 * what was tried and how each fared. */
int tp_ssh_authenticate(LIBSSH2_SESSION *session, const struct tp_auth_opts *opts, bt_err **err);

/* libssh2's last error message of the session ("" if none). */
const char *tp_ssh_last_error(LIBSSH2_SESSION *session);

/* ---- the connection and its bridge -------------------------------------------------------- */

#define TP_STDERR_MAX (64 * 1024)

struct tp_ssh_conn {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool ended;    /* the bridge is done; the results below are final */
    bool detached; /* nobody waits: the thread frees the connection */
    int fd;        /* the caller's end, -1 once taken or closed */
    int stop_w;    /* closing it asks the bridge to stop */
    int wake_w;    /* a byte here: a resize is pending */
    bool pty;
    bool resize_pending; /* (lock) cols and rows wait to be sent */
    int cols, rows;

    /* owned by the bridge thread while it runs */
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;
    int sock;
    int lfd;    /* the bridge's end of the socket pair */
    int stop_r; /* POLLHUP when stop_w is closed */
    int wake_r;
    int stderr_fd; /* -1, or where stderr goes as it comes */
    int keepalive_s;

    /* results, final once `ended` */
    int exit_status;
    char *exit_signal;
    struct bt_strbuf stderr_buf;
    char *error;

    char *desc;    /* "ssh root@host port 2222" */
    char *command; /* the remote command line */
    tp_ssh_end_fn *on_end;
    void *on_end_arg;
};

/* The bridge thread's body: runs until the channel ended, cleans the session up, records the
 * results, then wakes waiters (or frees a detached connection). */
void *tp_ssh_bridge_main(void *arg);

/* Free a connection whose thread is gone. */
void tp_ssh_conn_destroy(struct tp_ssh_conn *c);
