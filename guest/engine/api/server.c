/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmicrohttpd glue. MHD calls on_request() on the connection's thread: once when the headers
 * are in, once per body chunk, and once more when the body is complete. Routing happens on the
 * first call; the handler runs on the last (or, for streamed bodies, on a thread of its own
 * started on the first). Handlers never touch MHD: api_reply_* build a response that
 * on_request() queues when the handler is done, so every handler works the same way whatever
 * thread it runs on.
 */
#include "guest/engine/api/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "berth-version.h"
#include "guest/engine/api/tls.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

/* JSON bodies (container create, exec create, ...) are small; anything bigger is refused
 * rather than buffered. Streamed bodies (import, load, build) have no limit. */
#define MAX_JSON_BODY (16u << 20)

struct listener {
    struct MHD_Daemon *mhd;
    int fd;
    char *unix_path; /* removed on shutdown */
};

struct api_server {
    struct api_context *ctx;
    const struct api_route *routes;
    const struct api_tls *tls; /* for tcp:// listeners; borrowed */
    struct listener *listeners;
    size_t nlisteners;
};

struct api_call {
    struct api_server *server;
    struct MHD_Connection *conn;
    const char *method;
    char *url;
    struct api_match match;
    bt_err *route_err;
    /* body */
    struct bt_strbuf body;
    bool body_too_large;
    json_t *body_json;
    /* streamed body: the connection writes into body_pipe[1], the handler thread reads [0] */
    int body_pipe[2];
    pthread_t handler_thread;
    bool handler_running;
    /* the reply, built by api_reply_* and queued by on_request */
    struct MHD_Response *response;
    unsigned status;
};

/* ---- replies ---- */

static void add_standard_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Api-Version", API_VERSION_STRING);
    MHD_add_response_header(r, "Docker-Experimental", "false");
    MHD_add_response_header(r, "Ostype", "linux");
    MHD_add_response_header(r, "Server", "Berth/" BERTH_VERSION " (linux)");
}

static void set_reply(struct api_call *call, unsigned status, struct MHD_Response *r)
{
    add_standard_headers(r);
    if (call->response) {
        /* a handler answered twice: keep the first answer, it is what the client expects */
        bt_error("BUG: second reply to %s %s dropped", call->method, call->url);
        MHD_destroy_response(r);
        return;
    }
    call->response = r;
    call->status = status;
}

void api_reply_text(struct api_call *call, int status, const char *ctype, const char *text)
{
    size_t n = strlen(text);
    struct MHD_Response *r =
            MHD_create_response_from_buffer(n, bt_xstrndup(text, n), MHD_RESPMEM_MUST_FREE);
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    set_reply(call, (unsigned)status, r);
}

void api_reply_json(struct api_call *call, int status, json_t *body)
{
    char *text = bt_json_dumps(body);
    json_decref(body);
    /* Go's json encoder, which dockerd answers with, ends every document with a newline */
    char *line = bt_xasprintf("%s\n", text);
    free(text);
    struct MHD_Response *r =
            MHD_create_response_from_buffer(strlen(line), line, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    set_reply(call, (unsigned)status, r);
}

void api_reply_status(struct api_call *call, int status)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    set_reply(call, (unsigned)status, r);
}

int api_status_for(const bt_err *err)
{
    switch (bt_err_code(err)) {
    case BT_E_INVALID:
        return 400;
    case BT_E_UNAUTHORIZED:
        return 401;
    case BT_E_FORBIDDEN:
        return 403;
    case BT_E_NOT_FOUND:
        return 404;
    case BT_E_CONFLICT:
        return 409;
    case BT_E_NOT_MODIFIED:
        return 304;
    case BT_E_UNSUPPORTED:
        return 501;
    case BT_E_UNAVAILABLE:
        return 503;
    default:
        return 500;
    }
}

void api_reply_error(struct api_call *call, const bt_err *err)
{
    int status = api_status_for(err);
    if (status == 304) {
        api_reply_status(call, 304);
        return;
    }
    if (status >= 500)
        bt_error("Handler for %s %s returned error: %s", call->method, call->url, bt_err_msg(err));
    else
        bt_debug("Handler for %s %s returned error: %s", call->method, call->url, bt_err_msg(err));
    json_t *body = json_object();
    bt_json_set_str(body, "message", bt_err_msg(err));
    api_reply_json(call, status, body);
}

/* ---- streaming replies ---- */

struct stream {
    int rd, wr;
    int client_fd;
    api_producer_fn producer;
    void *arg;
};

static void *producer_main(void *p)
{
    struct stream *st = p;
    st->producer(st->wr, st->arg);
    close(st->wr);
    free(st);
    return NULL;
}

struct reader {
    int rd;
    int client_fd;
};

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct reader *r = cls;
    struct pollfd p[2] = {{.fd = r->rd, .events = POLLIN},
                          {.fd = r->client_fd, .events = POLLRDHUP}};
    for (;;) {
        int n = poll(p, r->client_fd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (p[0].revents) {
            ssize_t got = read(r->rd, buf, max);
            if (got < 0 && errno == EINTR)
                continue;
            if (got > 0)
                return got;
            return got == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
            return MHD_CONTENT_READER_END_WITH_ERROR; /* the client went away */
    }
}

static void free_reader(void *cls)
{
    struct reader *r = cls;
    close(r->rd); /* the producer's writes now fail with EPIPE */
    free(r);
}

static int connection_fd(struct api_call *call)
{
    const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(call->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

void api_reply_header(struct api_call *call, const char *name, const char *value)
{
    if (call->response)
        MHD_add_response_header(call->response, name, value);
}

int api_reply_stream(struct api_call *call, int status, const char *content_type,
                     api_producer_fn producer, void *arg)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        bt_autoerr bt_err *err = NULL;
        bt_err_errno(&err, errno, "pipe");
        api_reply_error(call, err);
        return -1;
    }
    struct stream *st = bt_xzalloc(sizeof(*st));
    *st = (struct stream){.rd = p[0], .wr = p[1], .producer = producer, .arg = arg};
    struct reader *rd = bt_xzalloc(sizeof(*rd));
    rd->rd = p[0];
    rd->client_fd = connection_fd(call);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, producer_main, st) != 0) {
        pthread_attr_destroy(&attr);
        close(p[0]);
        close(p[1]);
        free(st);
        free(rd);
        bt_autoerr bt_err *err = NULL;
        bt_err_set(&err, BT_E_INTERNAL, "cannot start a thread for the response");
        api_reply_error(call, err);
        return -1;
    }
    pthread_attr_destroy(&attr);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32768, read_stream,
                                                               rd, free_reader);
    if (content_type)
        MHD_add_response_header(r, "Content-Type", content_type);
    set_reply(call, (unsigned)status, r);
    return 0;
}

bool api_stream_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = 0};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP));
}

/* ---- hijacking ---- */

struct hijack {
    api_hijack_fn fn;
    void *arg;
};

/* Over TLS: the application gets one end of a socketpair of our own, on a thread of its own,
 * while this (the connection's) thread relays between the other end and the TLS session (see
 * tls-relay.c for why MHD's own forwarding cannot be used). */
struct tls_hijack {
    struct hijack *h;
    int sock;
};

static void *tls_hijack_main(void *p)
{
    struct tls_hijack *t = p;
    t->h->fn(t->sock, t->h->arg);
    /* what MHD does to a plain upgraded socket when it is closed: copies of it that live on
     * (the monitor's) see the end too, and so does the relay */
    shutdown(t->sock, SHUT_RDWR);
    close(t->sock);
    return NULL;
}

static void hijack_tls(struct hijack *h, struct MHD_Connection *conn, void *session)
{
    const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int sp[2];
    if (!ci || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        bt_error("hijack: cannot relay the TLS connection: %s", strerror(errno));
        h->fn(-1, h->arg);
        return;
    }
    struct tls_hijack t = {.h = h, .sock = sp[0]};
    pthread_t thread;
    if (pthread_create(&thread, NULL, tls_hijack_main, &t) != 0) {
        bt_error("hijack: cannot start a thread for the connection");
        close(sp[0]);
        close(sp[1]);
        h->fn(-1, h->arg);
        return;
    }
    bt_fd_set_nonblock(sp[1], true, NULL);
    api_tls_relay(session, ci->connect_fd, sp[1]);
    /* The client is gone, or the application has finished: a monitor still writing gets
     * EPIPE and lets go, and the handler returns. */
    shutdown(sp[1], SHUT_RDWR);
    pthread_join(thread, NULL);
    close(sp[1]);
}

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in,
                        size_t extra_in_size, MHD_socket sock,
                        struct MHD_UpgradeResponseHandle *urh)
{
    struct hijack *h = cls;
    /* Docker clients send nothing after the request before they see the 101, so there are no
     * early bytes to hand on; a client that did would lose them, as with dockerd. */
    if (extra_in_size)
        bt_debug("hijack: %zu bytes sent before the upgrade were dropped", extra_in_size);
    const union MHD_ConnectionInfo *ti =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ti && ti->tls_session) {
        /* sock is libmicrohttpd's socketpair end, unused here; 0.9.75 makes it without
         * SOCK_CLOEXEC, and no child berthd starts meanwhile should inherit it */
        fcntl(sock, F_SETFD, FD_CLOEXEC);
        hijack_tls(h, conn, ti->tls_session);
    } else {
        h->fn(sock, h->arg);
    }
    free(h);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

bool api_wants_upgrade(struct api_call *call)
{
    const char *c = api_header(call, "Connection");
    const char *u = api_header(call, "Upgrade");
    return c && u && strcasestr(c, "upgrade") && strcasecmp(u, "tcp") == 0;
}

void api_reply_hijack(struct api_call *call, const char *content_type, api_hijack_fn fn, void *arg)
{
    struct hijack *h = bt_xzalloc(sizeof(*h));
    h->fn = fn;
    h->arg = arg;
    struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgraded, h);
    /* on_upgraded() frees h; a client that vanishes before the upgrade leaks it (MHD has no
     * cleanup hook for upgrade responses), which is rare and small */
    MHD_add_response_header(r, "Upgrade", "tcp");
    MHD_add_response_header(r, "Content-Type", content_type);
    set_reply(call, MHD_HTTP_SWITCHING_PROTOCOLS, r);
}

/* ---- request accessors ---- */

struct api_context *api_ctx(struct api_call *call)
{
    return call->server->ctx;
}

const char *api_method(struct api_call *call)
{
    return call->method;
}

const char *api_param(struct api_call *call, size_t i)
{
    return i < call->match.nparams ? call->match.params[i] : "";
}

const char *api_query(struct api_call *call, const char *key)
{
    return MHD_lookup_connection_value(call->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool api_query_bool(struct api_call *call, const char *key, bool def)
{
    const char *v = api_query(call, key);
    if (!v)
        return def;
    /* dockerd's BoolValue: anything but "", "0", "no", "false", "none" is true */
    return !(strcmp(v, "") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0 ||
             strcasecmp(v, "false") == 0 || strcasecmp(v, "none") == 0);
}

int api_query_int(struct api_call *call, const char *key, long long def, long long *out,
                  bt_err **err)
{
    const char *v = api_query(call, key);
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*end || errno)
        return bt_err_set(err, BT_E_INVALID, "strconv.Atoi: parsing \"%s\": invalid syntax", v);
    *out = n;
    return 0;
}

struct collect {
    const char *key;
    const char **vals;
    size_t n;
};

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct collect *c = cls;
    if (strcmp(key, c->key) == 0) {
        c->vals = bt_xreallocarray(c->vals, c->n + 2, sizeof(char *));
        c->vals[c->n++] = value ? value : "";
        c->vals[c->n] = NULL;
    }
    return MHD_YES;
}

const char **api_query_all(struct api_call *call, const char *key)
{
    struct collect c = {.key = key, .vals = bt_xzalloc(sizeof(char *))};
    MHD_get_connection_values(call->conn, MHD_GET_ARGUMENT_KIND, collect_value, &c);
    return c.vals;
}

const char *api_header(struct api_call *call, const char *name)
{
    return MHD_lookup_connection_value(call->conn, MHD_HEADER_KIND, name);
}

void api_version(struct api_call *call, int *major, int *minor)
{
    *major = call->match.version_major;
    *minor = call->match.version_minor;
}

const char *api_body(struct api_call *call, size_t *len)
{
    *len = call->body.len;
    return bt_strbuf_str(&call->body);
}

json_t *api_body_json(struct api_call *call, bool allow_empty, bt_err **err)
{
    if (call->body_json)
        return call->body_json;
    if (call->body.len == 0) {
        if (allow_empty)
            return NULL;
        bt_err_set(err, BT_E_INVALID, "bad parameter: request body is empty");
        return NULL;
    }
    const char *ct = api_header(call, "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16) != 0) {
        /* dockerd's CheckForJSON */
        bt_err_set(err, BT_E_INVALID,
                   "unsupported Content-Type header (%s): must be "
                   "'application/json'",
                   ct);
        return NULL;
    }
    call->body_json = bt_json_parse_object(call->body.buf, call->body.len, err);
    return call->body_json;
}

int api_body_fd(struct api_call *call)
{
    return call->body_pipe[0];
}

/* ---- the MHD callbacks ---- */

static void *stream_handler_main(void *p)
{
    struct api_call *call = p;
    ((api_handler_fn)call->match.route->handler)(call);
    /* the handler is done with the body: unblock a connection still feeding it */
    bt_fd_close(call->body_pipe[0]);
    call->body_pipe[0] = -1;
    return NULL;
}

static void begin_call(struct api_call *call)
{
    bt_debug("Calling %s %s", call->method, call->url);
    if (api_route_match(call->server->routes, call->method, call->url, &call->match,
                        &call->route_err) < 0)
        return;
    if (!(call->match.route->flags & API_ROUTE_STREAM_BODY))
        return;
    if (pipe2(call->body_pipe, O_CLOEXEC) < 0) {
        bt_err_errno(&call->route_err, errno, "pipe");
        return;
    }
    if (pthread_create(&call->handler_thread, NULL, stream_handler_main, call) != 0) {
        bt_err_set(&call->route_err, BT_E_INTERNAL, "cannot start a thread for the request");
        return;
    }
    call->handler_running = true;
}

static void take_body(struct api_call *call, const char *data, size_t len)
{
    if (call->handler_running) {
        /* a handler that stopped reading (it failed early) closed its end: drop the rest */
        if (call->body_pipe[1] >= 0 && bt_fd_write_all(call->body_pipe[1], data, len, NULL) < 0) {
            close(call->body_pipe[1]);
            call->body_pipe[1] = -1;
        }
        return;
    }
    if (call->body_too_large || call->route_err)
        return;
    if (call->body.len + len > MAX_JSON_BODY) {
        call->body_too_large = true;
        bt_strbuf_free(&call->body);
        return;
    }
    bt_strbuf_append_n(&call->body, data, len);
}

static void finish_call(struct api_call *call)
{
    if (call->handler_running) {
        bt_fd_close(call->body_pipe[1]);
        call->body_pipe[1] = -1;
        pthread_join(call->handler_thread, NULL);
        call->handler_running = false;
    } else if (call->route_err) {
        api_reply_error(call, call->route_err);
    } else if (call->body_too_large) {
        bt_autoerr bt_err *err = NULL;
        bt_err_set(&err, BT_E_INVALID, "request body too large (over %u bytes)", MAX_JSON_BODY);
        api_reply_error(call, err);
        call->status = 413;
    } else {
        ((api_handler_fn)call->match.route->handler)(call);
    }
    if (!call->response) {
        bt_autoerr bt_err *err = NULL;
        bt_err_set(&err, BT_E_INTERNAL, "no response from the handler for %s %s", call->method,
                   call->url);
        api_reply_error(call, err);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct api_call *call = *con_cls;
    if (!call) {
        call = bt_xzalloc(sizeof(*call));
        call->server = cls;
        call->conn = conn;
        call->method = method;
        call->url = bt_xstrdup(url);
        call->body_pipe[0] = call->body_pipe[1] = -1;
        *con_cls = call;
        begin_call(call);
        return MHD_YES;
    }
    if (*upload_data_size) {
        take_body(call, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    finish_call(call);
    enum MHD_Result rc = MHD_queue_response(conn, call->status, call->response);
    MHD_destroy_response(call->response);
    call->response = NULL;
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct api_call *call = *con_cls;
    if (!call)
        return;
    if (call->handler_running) {
        /* the client vanished while a streamed body was arriving */
        bt_fd_close(call->body_pipe[1]);
        pthread_join(call->handler_thread, NULL);
    }
    bt_fd_close(call->body_pipe[0]);
    if (call->response)
        MHD_destroy_response(call->response);
    api_match_clear(&call->match);
    bt_err_free(call->route_err);
    bt_strbuf_free(&call->body);
    json_decref(call->body_json);
    free(call->url);
    free(call);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    if (!bt_log_enabled(BT_LOG_DEBUG))
        return;
    bt_autofree char *msg = bt_xvasprintf(fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    bt_debug("http: %s", msg);
}

/* ---- listeners ---- */

static int listen_unix(const char *path, bt_err **err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(a.sun_path))
        return bt_err_set(err, BT_E_INVALID, "socket path too long: %s", path);
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return bt_err_errno(err, errno, "socket");
    /* A socket file left by a crash is in the way; one that answers belongs to a daemon that
     * still runs, and stays. */
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
        close(fd);
        return bt_err_set(err, BT_E_CONFLICT, "%s is in use by another daemon", path);
    }
    unlink(path);
    mode_t old = umask(0117);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    umask(old);
    if (rc < 0 || listen(fd, 1024) < 0) {
        int e = errno;
        close(fd);
        return bt_err_errno(err, e, "listen on %s", path);
    }
    return fd;
}

/* How a tcp:// listener protects the API; it decides which addresses it may use. */
enum tcp_guard {
    TCP_PLAIN,    /* no TLS */
    TCP_TLS,      /* TLS, any client (--tlsverify=false) */
    TCP_TLS_AUTH, /* TLS with client certificates (--tlsverify) */
};

static bool is_loopback(const struct sockaddr *a)
{
    if (a->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
    if (a->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
    return false;
}

/* "HOST:PORT", "[V6]:PORT", "HOST", ":PORT", "" with dockerd's defaults (opts.ParseTCPAddr
 * against tcp://localhost:2375): a missing host is localhost, a missing port 2375. */
static int split_host_port(const char *hp, char **host, char **port, bt_err **err)
{
    const char *colon;
    if (hp[0] == '[') {
        const char *close = strchr(hp, ']');
        if (!close || (close[1] && close[1] != ':'))
            return bt_err_set(err, BT_E_INVALID, "invalid bind address: tcp://%s", hp);
        *host = bt_xstrndup(hp + 1, (size_t)(close - hp - 1));
        colon = close[1] ? close + 1 : NULL;
    } else {
        colon = strrchr(hp, ':');
        *host = bt_xstrndup(hp, colon ? (size_t)(colon - hp) : strlen(hp));
    }
    const char *p = colon ? colon + 1 : "";
    size_t plen = strcspn(p, "/"); /* dockerd keeps a path after the port; it means nothing */
    *port = plen ? bt_xstrndup(p, plen) : bt_xstrdup("2375");
    if (!**host) {
        free(*host);
        *host = bt_xstrdup("localhost");
    }
    return 0;
}

/* The address to bind: IPv4 first for names like localhost, as Go's net.Listen does. */
static const struct addrinfo *pick_address(const struct addrinfo *ai)
{
    for (const struct addrinfo *a = ai; a; a = a->ai_next)
        if (a->ai_family == AF_INET)
            return a;
    return ai;
}

static int guard_check(const struct sockaddr *a, const char *hostport, enum tcp_guard g,
                       bt_err **err)
{
    if (g == TCP_TLS_AUTH || is_loopback(a))
        return 0;
    if (g == TCP_PLAIN)
        return bt_err_set(err, BT_E_INVALID,
                          "refusing to listen on tcp://%s without TLS: only loopback addresses "
                          "(127.0.0.1, ::1) may serve the API unencrypted",
                          hostport);
    return bt_err_set(err, BT_E_INVALID,
                      "refusing to listen on tcp://%s without --tlsverify: only loopback "
                      "addresses (127.0.0.1, ::1) may serve the API to clients without a "
                      "certificate",
                      hostport);
}

static int listen_tcp(const char *hostport, enum tcp_guard g, bt_err **err)
{
    bt_autofree char *host = NULL;
    bt_autofree char *port = NULL;
    if (split_host_port(hostport, &host, &port, err) < 0)
        return -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0)
        return bt_err_set(err, BT_E_INVALID, "invalid bind address tcp://%s: %s", hostport,
                          gai_strerror(gai));
    const struct addrinfo *a = pick_address(ai);
    if (guard_check(a->ai_addr, hostport, g, err) < 0) {
        freeaddrinfo(ai);
        return -1;
    }
    if (g != TCP_TLS_AUTH)
        /* dockerd's warning, which Berth only gives for loopback (it refuses the rest) */
        bt_warn("Binding to IP address without --tlsverify is insecure and gives root access on "
                "this machine to everyone who has access to your network (tcp://%s)",
                hostport);
    int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
        int e = errno;
        bt_fd_close(fd);
        freeaddrinfo(ai);
        return bt_err_errno(err, e, "listen on tcp://%s", hostport);
    }
    freeaddrinfo(ai);
    return fd;
}

struct api_server *api_server_new(struct api_context *ctx, const struct api_route *routes)
{
    struct api_server *s = bt_xzalloc(sizeof(*s));
    s->ctx = ctx;
    s->routes = routes;
    return s;
}

void api_server_use_tls(struct api_server *s, const struct api_tls *tls)
{
    s->tls = tls;
}

/* A new connection, before its TLS handshake (MHD calls this on its listening thread, before
 * it starts the connection's). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    const union MHD_ConnectionInfo *ti =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ti && ti->tls_session)
        api_tls_session_start(cls, ti->tls_session);
}

static struct MHD_Daemon *start_mhd(struct api_server *s, int fd, const struct api_tls *tls)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem opts[8];
    size_t n = 0;
    if (tls) {
        flags |= MHD_USE_TLS;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls->cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls->key_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, API_TLS_PRIORITIES};
        if (tls->verify)
            opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, tls->ca_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection,
                                            (void *)tls};
    }
    opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
            MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024), MHD_OPTION_ARRAY, opts,
            MHD_OPTION_END);
}

int api_server_listen(struct api_server *s, const char *url, bt_err **err)
{
    int fd;
    char *unix_path = NULL;
    const struct api_tls *tls = NULL;
    if (strncmp(url, "unix://", 7) == 0) {
        /* a unix socket is guarded by its file mode; dockerd never puts TLS on one */
        fd = listen_unix(url + 7, err);
        unix_path = bt_xstrdup(url + 7);
    } else if (strncmp(url, "tcp://", 6) == 0) {
        tls = s->tls;
        enum tcp_guard g = !tls ? TCP_PLAIN : tls->verify ? TCP_TLS_AUTH : TCP_TLS;
        fd = listen_tcp(url + 6, g, err);
    } else {
        return bt_err_set(err, BT_E_INVALID, "invalid bind address format: %s", url);
    }
    if (fd < 0) {
        free(unix_path);
        return -1;
    }
    struct MHD_Daemon *d = start_mhd(s, fd, tls);
    if (!d) {
        close(fd);
        if (unix_path)
            unlink(unix_path);
        free(unix_path);
        return bt_err_set(err, BT_E_INTERNAL, "cannot start the HTTP server on %s", url);
    }
    s->listeners = bt_xreallocarray(s->listeners, s->nlisteners + 1, sizeof(*s->listeners));
    s->listeners[s->nlisteners++] = (struct listener){.mhd = d, .fd = fd, .unix_path = unix_path};
    bt_info("API listen on %s%s", unix_path ? unix_path : url + 6,
            !tls          ? ""
            : tls->verify ? " (TLS, client certificates verified)"
                          : " (TLS)");
    return 0;
}

void api_server_free(struct api_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nlisteners; i++) {
        MHD_stop_daemon(s->listeners[i].mhd);
        close(s->listeners[i].fd);
        if (s->listeners[i].unix_path)
            unlink(s->listeners[i].unix_path);
        free(s->listeners[i].unix_path);
    }
    free(s->listeners);
    free(s);
}
