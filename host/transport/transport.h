/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Transports of the host client: how `berth -H ssh://user@host[:port]` reaches an engine.
 *
 * The SSH transport (libssh2; this module is libssh2's only home) opens an SSH connection,
 * checks the host key against known_hosts, authenticates with keys, runs a command on the far
 * side (`berthd dial-stdio`, which bridges its stdin/stdout to the engine's unix socket) and
 * hands the caller one end of a local stream socket (socketpair) whose other end a background
 * thread bridges to that command's stdin and stdout. The HTTP client uses the fd as if it were
 * connected to the engine. (libcurl 8 takes it from CURLOPT_OPENSOCKETFUNCTION with
 * CURL_SOCKOPT_ALREADY_CONNECTED; Debian 12's 7.88 connect()s it anyway and fails: see
 * docs/internals/transport.md for the way around.)
 *
 * Contract of the fd:
 *  - bytes written to it reach the command's stdin; the command's stdout can be read from it;
 *  - shutdown(fd, SHUT_WR) sends EOF to the command's stdin (the channel's EOF); the command's
 *    EOF (or its exit) shuts the fd's read side down (read() returns 0);
 *  - close(fd) ends the channel, the SSH session and the thread;
 *  - the peer end can close before the caller writes: write with MSG_NOSIGNAL or ignore
 *    SIGPIPE (libcurl does).
 *
 * Threads: each connection has one bridge thread, the only user of its libssh2 session once
 * the dial returned (libssh2 sessions are not thread-safe). The functions below may be called
 * from any thread; one tp_ssh_conn must not be used by two threads at once.
 *
 * Errors name the host, the stage (connect, handshake, host key, authentication, exec) and
 * what to do, e.g. `ssh root@127.0.0.1 port 2222: host key check: the host is not known ...`.
 */
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

/* ---- ssh:// URLs ------------------------------------------------------------------------- */

/* An ssh:// URL, parsed with the docker CLI's rules (cli/connhelper/ssh: Go's net/url, then no
 * password, no query, no fragment, a host). */
struct tp_ssh_url {
    char *user; /* NULL when the URL names none (the local user name is used) */
    char *host; /* never empty; an IPv6 literal without its brackets */
    int port;   /* 0 when the URL names none (22 is used) */
    char *path; /* the decoded path, "" when none: the engine's socket on the far side */
};

/* Parse "ssh://[user@]host[:port][/path]". Errors read like the docker CLI's:
 * `invalid SSH URL: hostname is empty`, `invalid SSH URL: plain-text password is not
 * supported`, `invalid SSH URL: invalid port ":x" after host`, ... (BT_E_INVALID). The port
 * must be 1..65535 (Go's parser leaves the range to ssh; we check it at once). On success the
 * fields of *out are allocated; free them with tp_ssh_url_free(). */
int tp_ssh_url_parse(const char *url, struct tp_ssh_url *out, bt_err **err);
void tp_ssh_url_free(struct tp_ssh_url *u);

/* The command that reaches the engine for a URL, as docker's connection helper builds it:
 * {"berthd", "dial-stdio"}, or with a path that is more than slashes {"berthd", "dial-stdio",
 * "--host=unix://PATH"}. NULL-terminated; free with bt_strv_free(). */
char **tp_ssh_url_command(const struct tp_ssh_url *u);

/* One word quoted for a POSIX shell, as the docker CLI quotes the remote command (mvdan/sh's
 * syntax.Quote, LangPOSIX): unchanged when nothing needs quoting, '...' when possible, "..."
 * with \" \\ \` \$ escapes when the word holds a single quote. Fails (BT_E_INVALID) on a NUL,
 * a control character or invalid UTF-8, which a POSIX shell cannot be given in quotes. */
char *tp_shell_quote(const char *word, bt_err **err);

/* argv quoted word by word and joined with spaces: the string an SSH server hands to the
 * user's shell. Fails as tp_shell_quote() does, naming the argument, and on an empty argv. */
char *tp_shell_join(const char *const *argv, bt_err **err);

/* ---- dialing ----------------------------------------------------------------------------- */

enum tp_host_key_policy {
    /* refuse hosts that are not in known_hosts (OpenSSH's StrictHostKeyChecking=yes) */
    TP_HOST_KEY_STRICT,
    /* trust a host seen for the first time and append its key to known_hosts
     * (StrictHostKeyChecking=accept-new); a changed key is refused all the same */
    TP_HOST_KEY_ACCEPT_NEW,
};

/* What the remote command left when its channel ended. */
struct tp_ssh_end {
    int exit_status;         /* the command's exit status; -1 when none was reported */
    const char *exit_signal; /* "TERM", "KILL", ... when a signal ended it, else NULL */
    const char *stderr_text; /* what it wrote to stderr (at most 64 KiB), NUL-terminated */
    size_t stderr_len;       /* bytes in stderr_text */
    const char *error;       /* a transport failure ("connection lost: ..."), else NULL */
    const char *description; /* the connection, "ssh root@host port 2222", for messages */
};

/* Called once on the bridge thread when a connection ends (tp_ssh_dial()'s only way to learn
 * how; tp_ssh_connect() calls it too when set). The strings are valid only during the call. */
typedef void tp_ssh_end_fn(void *arg, const struct tp_ssh_end *end);

struct tp_ssh_opts {
    const char *host;           /* required */
    int port;                   /* 0: 22 */
    const char *user;           /* NULL: the local user's name */
    const char *const *command; /* remote argv; NULL: {"berthd", "dial-stdio"} */
    /* The remote command as one string for the far side's shell, used as it is (no quoting)
     * in place of command: `berth machine ssh NAME ls -l /`, like docker-machine's. */
    const char *command_line;
    const char *identity_file; /* a private key tried first (the machine store's) */
    bool no_agent;             /* do not ask ssh-agent even when SSH_AUTH_SOCK is set */
    bool no_default_keys;      /* do not try ~/.ssh/id_ed25519, id_ecdsa, id_rsa */
    const char *known_hosts;   /* NULL: ~/.ssh/known_hosts */
    enum tp_host_key_policy host_key_policy;
    int timeout_ms;        /* each stage of the dial; 0: 30 s (docker's
                              ConnectTimeout=30) */
    int keepalive_s;       /* SSH keepalives on an idle connection; 0: none */
    tp_ssh_end_fn *on_end; /* tp_ssh_dial() only: told how the command ended */
    void *on_end_arg;
    /* An interactive session (`berth machine ssh`): pty_term names the terminal type of a
     * pseudo-terminal requested before the command runs (NULL: none), pty_cols and pty_rows
     * its size (tp_ssh_conn_resize() changes it later). With shell set the server's login
     * shell runs instead of a command. */
    const char *pty_term;
    int pty_cols, pty_rows;
    bool shell;
    /* The remote command's stderr is also written, as it comes, to stderr_fd (the user's
     * stderr) when forward_stderr is set; it is kept for tp_ssh_conn_check() either way. */
    bool forward_stderr;
    int stderr_fd;
};

/* A connection: the local fd, the bridge thread, and how the command ended. */
struct tp_ssh_conn;

/* Connect, check the host key, authenticate, run the command, and start the bridge thread.
 * Blocks for the dial (at most about timeout_ms per stage). Authentication tries, in order:
 * opts->identity_file, the keys of ssh-agent (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519,
 * ~/.ssh/id_ecdsa and ~/.ssh/id_rsa (unencrypted: an encrypted key needs the agent). The
 * caller frees the connection with tp_ssh_conn_free(). */
struct tp_ssh_conn *tp_ssh_connect(const struct tp_ssh_opts *opts, bt_err **err);

/* The caller's end of the socket pair; owned by the connection until taken. */
int tp_ssh_conn_fd(const struct tp_ssh_conn *c);

/* Take the fd: the caller closes it from now on (-1 when already taken). */
int tp_ssh_conn_take_fd(struct tp_ssh_conn *c);

/* Wait until the channel ended (the command exited and its output was handed over, the fd
 * was closed, or the connection failed), at most timeout_ms (-1: no limit). On success *end
 * describes it; its strings live as long as the connection. Fails with BT_E_TIMEOUT. */
int tp_ssh_conn_wait(struct tp_ssh_conn *c, int timeout_ms, struct tp_ssh_end *end, bt_err **err);

/* After the end: 0 when the command exited with status 0, else -1 with an error for a user:
 * `ssh root@host port 22: remote command "berthd dial-stdio" exited with status 127:
 * bash: line 1: berthd: command not found` (the client shows this when the engine's
 * connection ends without an answer). Fails with BT_E_CONFLICT when it has not ended. */
int tp_ssh_conn_check(struct tp_ssh_conn *c, bt_err **err);

/* Tell the far side's pseudo-terminal its new size (a SIGWINCH of the user's terminal); the
 * bridge thread sends the request. Only for connections made with pty_term. */
int tp_ssh_conn_resize(struct tp_ssh_conn *c, int cols, int rows, bt_err **err);

/* Close the fd if the connection still owns it, end the channel and the session, join the
 * thread, free. NULL is allowed. */
void tp_ssh_conn_free(struct tp_ssh_conn *c);

/* ---- running a command for its output ------------------------------------------------------ */

/* What a command run by tp_ssh_exec() left: its stdout, its stderr (at most 64 KiB) and its
 * exit status (255 when a signal ended it, -1 when the server reported none). */
struct tp_ssh_result {
    struct bt_strbuf out, err;
    int status;
};
#define TP_SSH_RESULT_INIT                 \
    {                                      \
        BT_STRBUF_INIT, BT_STRBUF_INIT, -1 \
    }

/* Dial as tp_ssh_connect() does (the pty options are ignored), run opts' command with `input`
 * (len bytes, may be 0) as its stdin, and collect its output (at most 64 MiB of stdout) into
 * *res. A command that exits non-zero is no error here: the caller reads res->status and
 * res->err. Fails for what the transport itself met (connect, host key, authentication, a
 * connection lost). */
int tp_ssh_exec(const struct tp_ssh_opts *opts, const char *input, size_t len,
                struct tp_ssh_result *res, bt_err **err);
void tp_ssh_result_clear(struct tp_ssh_result *res);

/* ---- copying files over SFTP (`berth machine scp`) ---------------------------------------- */

struct tp_sftp;

/* Dial as tp_ssh_connect() does (opts->command and the pty options are ignored) and start the
 * server's SFTP subsystem. */
struct tp_sftp *tp_sftp_open(const struct tp_ssh_opts *opts, bt_err **err);
/* Copy a local file (a directory only with recursive) to remote, with scp's rules: into an
 * existing remote directory under its own name, else to that path. Symbolic links are
 * followed. Errors read like scp's ("scp: /x: No such file or directory"). */
int tp_sftp_put(struct tp_sftp *f, const char *local, const char *remote, bool recursive,
                bt_err **err);
/* The other way. Names listed by the server never leave the target directory. */
int tp_sftp_get(struct tp_sftp *f, const char *remote, const char *local, bool recursive,
                bt_err **err);
void tp_sftp_close(struct tp_sftp *f);

/* tp_ssh_connect() for callers that want only the fd (the caller owns and closes it): the
 * bridge thread runs detached until the fd is closed and the channel ended, then reports the
 * end to opts->on_end (when set) and frees everything. Returns the fd or -1. */
int tp_ssh_dial(const struct tp_ssh_opts *opts, bt_err **err);
