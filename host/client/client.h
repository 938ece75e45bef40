/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The Docker Engine API client of berth: HTTP/1.1 to one engine over a byte stream (a unix
 * socket, TCP, TLS over TCP, or an SSH channel to `berthd dial-stdio`).
 *
 * Responses are parsed by http-parser (nodejs/http-parser, Debian's libhttp-parser); requests
 * are a request line and a few headers written here. Why not libcurl: loading it (and the 33
 * libraries it pulls) costs 3.9 ms and 7.5 MB of resident memory before the first byte, more
 * than the whole budget of a `berth run` (docs/design/dependencies.md). TLS (OpenSSL) and SSH
 * (libssh2) load only for endpoints that use them (tls.c, ssh.c).
 *
 * A client holds one connection at a time and reuses it while the engine keeps it alive. A
 * hijacked connection (attach, exec: `101 UPGRADED`) is handed to the caller as a struct
 * cl_stream; the next request opens a new connection. Not thread-safe: one client per thread.
 *
 * Errors: an answer >= 400 is an error with the engine's {"message"} as its text and a code
 * from the status (404 BT_E_NOT_FOUND, 409 BT_E_CONFLICT, 400 BT_E_INVALID, 304
 * BT_E_NOT_MODIFIED, 501 BT_E_UNSUPPORTED, else BT_E_INTERNAL); cl_err_is_daemon() tells those
 * from failures to reach the engine, which the CLI words differently.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

/* The newest API version berth speaks; the engine may ask for less (cl_negotiate). */
#define CL_API_VERSION "1.41"

enum cl_proto {
    CL_UNIX,
    CL_TCP,
    CL_SSH,
};

/* Where an engine is and how to talk to it. Strings are owned (cl_endpoint_clear). */
struct cl_endpoint {
    char *url; /* normalised: "unix:///run/berth.sock", "tcp://127.0.0.1:2376", "ssh://u@h:22" */
    enum cl_proto proto;
    char *path; /* CL_UNIX: the socket */
    char *host; /* CL_TCP, CL_SSH */
    int port;
    char *user; /* CL_SSH: NULL for the local user */
    /* TLS (CL_TCP): tls without verify trusts any server, as `docker --tls` does */
    bool tls;
    bool tls_verify;
    char *ca_file;
    char *cert_file;
    char *key_file;
    /* CL_SSH: a key to try first (a machine's), and known_hosts to check against */
    char *ssh_identity;
    char *ssh_known_hosts;
};

/* Parse a host as the docker CLI's -H takes it ("unix:///path", "tcp://host[:port]",
 * "host:port", "ssh://[user@]host[:port]"): a tcp host without a port gets 2375, or 2376 when
 * tls is set. Errors worded as docker's: "invalid bind address format: x", "invalid proto,
 * expected tcp: x". TLS fields are left for the caller. */
int cl_endpoint_parse(const char *host, bool tls, struct cl_endpoint *ep, bt_err **err);
void cl_endpoint_clear(struct cl_endpoint *ep);
/* A deep copy. */
void cl_endpoint_copy(struct cl_endpoint *to, const struct cl_endpoint *from);
/* Read a TLS endpoint's CA, certificate and key as a connection will, so that bad or missing
 * files are reported before anything is sent, in the docker CLI's words ("unable to resolve
 * docker endpoint: open ca.pem: no such file or directory", "no valid private key found").
 * Nothing to do for other endpoints. */
int cl_endpoint_check(const struct cl_endpoint *ep, bt_err **err);

struct cl_client;

struct cl_client *cl_client_new(const struct cl_endpoint *ep);
void cl_client_free(struct cl_client *c);

/* The endpoint (for messages). */
const struct cl_endpoint *cl_client_endpoint(const struct cl_client *c);

/* Ask the engine its API version (HEAD /_ping) and use the lower of it and CL_API_VERSION for
 * every later request, as the docker CLI does. Done by the first request when not called. */
int cl_negotiate(struct cl_client *c, bt_err **err);
/* The version requests use ("1.41"); CL_API_VERSION before negotiation. */
const char *cl_api_version(const struct cl_client *c);
/* The engine's headers from the ping: "OSType" value and so on (NULL if absent). */
const char *cl_server_header(const struct cl_client *c, const char *name);

/* An upload's source: fill buf, return the bytes written, 0 at the end, -1 on error (with
 * errno). */
typedef ssize_t (*cl_source_fn)(void *arg, char *buf, size_t len);
/* A response body's sink: return 0 to go on, -1 to stop (the request then fails with
 * BT_E_CANCELED unless the sink set its own reason). */
typedef int (*cl_sink_fn)(void *arg, const char *data, size_t len);

struct cl_request {
    const char *method; /* "GET", "POST", ... */
    /* "/containers/json?all=1": the client prefixes "/v<version>" */
    const char *path;
    const json_t *json; /* a JSON body, or: */
    const char *body;   /* a body of body_len bytes as it is (a JSON body as Go encodes it), or: */
    size_t body_len;
    const char *content_type;
    cl_source_fn source; /* a streamed body (chunked) */
    void *source_arg;
    const char *const *headers; /* more "Name: value" lines, NULL-terminated, or NULL */
    cl_sink_fn sink;            /* the body as it comes, or NULL to collect it */
    void *sink_arg;
    /* called once the status line and headers are in, before the body (a wait's caller
     * learns that the engine is waiting, as docker's ContainerWait returns at that point) */
    void (*on_head)(void *arg, int status);
    void *on_head_arg;
    /* optional: every header of the answer is set here (lower-case names), before on_head */
    json_t *resp_headers;
};

struct cl_response {
    int status;
    char *content_type;    /* NULL when absent */
    struct bt_strbuf body; /* the body, unless the request had a sink */
};

void cl_response_clear(struct cl_response *r);

/* Send a request and read the answer. A status >= 400 is not an error here (see cl_call). */
int cl_do(struct cl_client *c, const struct cl_request *req, struct cl_response *resp,
          bt_err **err);

/* cl_do, then a status >= 400 becomes the engine's error. Returns the status, or -1. */
int cl_call(struct cl_client *c, const struct cl_request *req, struct cl_response *resp,
            bt_err **err);

/* A JSON request with a JSON answer: the parsed body (NULL with no error for an empty one).
 * *status (optional) gets the status. Errors as cl_call. */
json_t *cl_json(struct cl_client *c, const char *method, const char *path, const json_t *body,
                int *status, bt_err **err);

/* True when err came from the engine's answer (print "Error response from daemon: ..."). */
bool cl_err_is_daemon(const bt_err *err);
/* The BT_E_* kind of an error from this client (use it, not bt_err_code, on daemon errors). */
int cl_err_kind(const bt_err *err);

/* ---- hijacked connections (attach, exec start) ---- */

struct cl_stream;

/* Send the request with "Connection: Upgrade" / "Upgrade: tcp" and, on `101` (or the `200`
 * an engine may answer with a raw stream), hand the connection over. Errors as cl_call. */
int cl_hijack(struct cl_client *c, const struct cl_request *req, struct cl_stream **out,
              bt_err **err);

/* Raw I/O on a hijacked stream; read returns 0 at the engine's EOF, -1 with errno (EAGAIN
 * when non-blocking and nothing is there). */
ssize_t cl_stream_read(struct cl_stream *s, void *buf, size_t len);
ssize_t cl_stream_write(struct cl_stream *s, const void *buf, size_t len);
/* Half-close: the engine sees EOF on the container's stdin. */
int cl_stream_close_write(struct cl_stream *s);
/* The descriptor to poll for reading and writing. */
int cl_stream_fd(const struct cl_stream *s);
/* Bytes already read from the connection and not yet returned (poll would not see them). */
size_t cl_stream_pending(const struct cl_stream *s);
void cl_stream_free(struct cl_stream *s);

/* ---- the multiplexed stream of a non-TTY container (8-byte frame headers) ---- */

struct cl_demux {
    unsigned char head[8];
    size_t head_len;
    int stream;      /* of the frame being read: 0 stdin, 1 stdout, 2 stderr */
    uint32_t remain; /* bytes of its payload still to come */
};

/* Feed bytes of the stream; out() gets each payload piece with its stream number. Bad headers
 * fail with BT_E_CORRUPT (docker: "Unrecognized input header"). */
int cl_demux_feed(struct cl_demux *d, const char *data, size_t len,
                  int (*out)(void *arg, int stream, const char *p, size_t n), void *arg,
                  bt_err **err);
