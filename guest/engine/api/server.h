/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The HTTP side of the Docker Engine API, on libmicrohttpd (thread per connection, HTTP/1.1
 * keep-alive, chunked responses, connection upgrade). This is the only code in berthd that
 * knows HTTP; handlers (api-*.c) see a struct api_call and answer through the api_reply_*
 * functions, exactly once per call.
 *
 * Listeners: "unix:///run/berth.sock" (never TLS, guarded by its file mode) and tcp://HOST:PORT.
 * tcp:// serves TLS once api_server_use_tls() was called. Without TLS client verification a
 * tcp:// listener must be on a loopback address: an engine on a public address that any
 * client may use is root for anyone (dockerd only warns; Berth refuses).
 *
 * Threads: every connection has its own thread; handlers may block (a wait, a stop timeout).
 * Streaming responses run a producer on a thread of its own that writes into a pipe; the
 * connection thread copies the pipe to the client and notices when the client goes away.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "guest/engine/api/router.h"
#include "shared/base/err.h"

struct api_server;
struct api_call;
struct api_context; /* the engine's modules, defined in api.h */

typedef void (*api_handler_fn)(struct api_call *call);

enum {
    /* the body is not collected: the handler reads it with api_body_fd() while it arrives */
    API_ROUTE_STREAM_BODY = 1 << 0,
};

struct api_server *api_server_new(struct api_context *ctx, const struct api_route *routes);
/* Listen on a host URL (unix://PATH or tcp://HOST:PORT, where HOST defaults to localhost and
 * PORT to 2375, as dockerd's -H does) and serve it. */
int api_server_listen(struct api_server *s, const char *url, bt_err **err);

/* ---- TLS for tcp:// listeners (GnuTLS, through libmicrohttpd) ---- */

struct api_tls;
struct api_tls_files {
    const char *ca; /* read only with verify */
    const char *cert;
    const char *key;
    bool verify; /* clients must present a certificate signed by ca (dockerd's --tlsverify) */
};
/* Read and check the files; errors are worded as dockerd's (go-connections') are. */
struct api_tls *api_tls_load(const struct api_tls_files *f, bt_err **err);
void api_tls_free(struct api_tls *t);
/* Serve the tcp:// listeners added from now on with TLS. t is borrowed: it must outlive s. */
void api_server_use_tls(struct api_server *s, const struct api_tls *t);
/* Stop accepting, close listeners (removing unix sockets), wait for nothing else. */
void api_server_free(struct api_server *s);

/* ---- for handlers ---- */

struct api_context *api_ctx(struct api_call *call);
const char *api_method(struct api_call *call);
/* path parameter i of the route ("{id}" values, in order) */
const char *api_param(struct api_call *call, size_t i);
/* query parameter, or NULL */
const char *api_query(struct api_call *call, const char *key);
/* query parameter as Docker reads booleans: "1", "true", "True" are true; missing is def */
bool api_query_bool(struct api_call *call, const char *key, bool def);
/* query parameter as an integer; missing is def; junk is an error (400) */
int api_query_int(struct api_call *call, const char *key, long long def, long long *out,
                  bt_err **err);
/* all values of a repeated query parameter (NULL-terminated; free() the array only) */
const char **api_query_all(struct api_call *call, const char *key);
const char *api_header(struct api_call *call, const char *name);
/* the API version of the request (from the path prefix) */
void api_version(struct api_call *call, int *major, int *minor);

/* The collected body (not for API_ROUTE_STREAM_BODY routes). */
const char *api_body(struct api_call *call, size_t *len);
/* The body parsed as a JSON object; an empty body gives NULL without error when
 * allow_empty. Errors are Docker's 400s. The call owns the result. */
json_t *api_body_json(struct api_call *call, bool allow_empty, bt_err **err);
/* For API_ROUTE_STREAM_BODY routes: a pipe that yields the body as it arrives (EOF at its end).
 * The handler runs on its own thread for these routes, while the connection feeds the pipe. */
int api_body_fd(struct api_call *call);

void api_reply_json(struct api_call *call, int status, json_t *body); /* steals body */
void api_reply_status(struct api_call *call, int status);             /* no body */
void api_reply_text(struct api_call *call, int status, const char *ctype, const char *text);
/* Docker's {"message": ...} with the status the error's code maps to; frees nothing */
void api_reply_error(struct api_call *call, const bt_err *err);
int api_status_for(const bt_err *err);

/* A streaming response (chunked): producer(fd, arg) runs on its own thread and writes the
 * body into fd; the response ends when it returns (it must not close fd). If the client goes
 * away, writes fail with EPIPE and api_stream_gone(fd) turns true: long waits should poll it. */
typedef void (*api_producer_fn)(int fd, void *arg);
/* Returns -1 when the producer could not be started (an error reply is then set and producer
 * never runs: the caller still owns arg). */
int api_reply_stream(struct api_call *call, int status, const char *content_type,
                     api_producer_fn producer, void *arg);
/* Add a header to the reply already set by an api_reply_* call ("X-Docker-Container-Path-Stat").
 */
void api_reply_header(struct api_call *call, const char *name, const char *value);
bool api_stream_gone(int fd);

/* Take over the connection ("101 UPGRADED", as dockerd answers attach and exec start with
 * Upgrade: tcp). fn(sock, arg) runs once the status line and headers are out, and the
 * connection closes when it returns. sock is the client's socket (on the connection's thread);
 * over TLS it is a socketpair end that carries the plaintext, with the same half-close
 * behaviour (fn runs on a thread of its own while the connection's thread relays). sock is -1
 * when the connection could not be taken over; fn must still release arg. */
typedef void (*api_hijack_fn)(int sock, void *arg);
void api_reply_hijack(struct api_call *call, const char *content_type, api_hijack_fn fn, void *arg);
/* True when the request asked for the upgrade (Connection: Upgrade, Upgrade: tcp). */
bool api_wants_upgrade(struct api_call *call);
