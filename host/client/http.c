/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP/1.1 requests to the engine. Requests are written here; responses are parsed by
 * http-parser, which also decodes chunked bodies and tells whether the connection stays open.
 */
#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "berth-version.h"
#include "host/client/client-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

struct cl_client {
    struct cl_endpoint ep;
    struct cl_conn *conn; /* kept alive between requests, or NULL */
    char version[16];     /* the API version requests use */
    bool negotiated;
    json_t *ping_headers; /* the ping's headers, lower-case names */
};

struct cl_client *cl_client_new(const struct cl_endpoint *ep)
{
    struct cl_client *c = bt_xzalloc(sizeof(*c));
    cl_endpoint_copy(&c->ep, ep);
    snprintf(c->version, sizeof(c->version), "%s", CL_API_VERSION);
    c->ping_headers = json_object();
    return c;
}

void cl_client_free(struct cl_client *c)
{
    if (!c)
        return;
    cl_conn_free(c->conn);
    cl_endpoint_clear(&c->ep);
    json_decref(c->ping_headers);
    free(c);
}

void cl_client_use_conn(struct cl_client *c, struct cl_conn *conn)
{
    cl_conn_free(c->conn);
    c->conn = conn;
    c->negotiated = true;
}

const struct cl_endpoint *cl_client_endpoint(const struct cl_client *c)
{
    return &c->ep;
}

const char *cl_api_version(const struct cl_client *c)
{
    return c->version;
}

const char *cl_server_header(const struct cl_client *c, const char *name)
{
    bt_autofree char *lower = bt_xstrdup(name);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return bt_json_get_str(c->ping_headers, lower, NULL);
}

void cl_response_clear(struct cl_response *r)
{
    free(r->content_type);
    bt_strbuf_free(&r->body);
    *r = (struct cl_response){0};
}

/* ---- reading a response ---- */

struct reading {
    const struct cl_request *req;
    struct cl_response *resp;
    json_t *headers; /* optional: every header, lower-case names */
    struct bt_strbuf field, value;
    bool in_value;
    bool head; /* HEAD: no body */
    bool hijack;
    bool done;
    bool sink_stopped;
};

static void end_header(struct reading *r)
{
    if (!r->in_value)
        return;
    const char *name = bt_strbuf_str(&r->field);
    if (strcasecmp(name, "Content-Type") == 0) {
        free(r->resp->content_type);
        r->resp->content_type = bt_xstrdup(bt_strbuf_str(&r->value));
    }
    if (r->headers) {
        bt_autofree char *lower = bt_xstrdup(name);
        for (char *p = lower; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        json_object_set_new(r->headers, lower, json_string(bt_strbuf_str(&r->value)));
    }
    bt_strbuf_reset(&r->field);
    bt_strbuf_reset(&r->value);
    r->in_value = false;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct reading *r = p->data;
    end_header(r);
    bt_strbuf_append_n(&r->field, at, len);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct reading *r = p->data;
    r->in_value = true;
    bt_strbuf_append_n(&r->value, at, len);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct reading *r = p->data;
    end_header(r);
    r->resp->status = p->status_code;
    if (r->req->on_head)
        r->req->on_head(r->req->on_head_arg, p->status_code);
    if (r->hijack && p->status_code == 200 && r->resp->content_type &&
        strncmp(r->resp->content_type, "application/vnd.docker.", 23) == 0)
        return 2; /* a raw stream without 101: the rest of the connection is the stream */
    return r->head ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct reading *r = p->data;
    if (r->req->sink && r->resp->status < 400 && !r->hijack) {
        if (r->req->sink(r->req->sink_arg, at, len) < 0) {
            r->sink_stopped = true;
            return -1;
        }
        return 0;
    }
    bt_strbuf_append_n(&r->resp->body, at, len);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct reading *r = p->data;
    r->done = true;
    http_parser_pause(p, 1); /* what follows belongs to the next message */
    return 0;
}

static const http_parser_settings settings = {
        .on_header_field = on_header_field,
        .on_header_value = on_header_value,
        .on_headers_complete = on_headers_complete,
        .on_body = on_body,
        .on_message_complete = on_message_complete,
};

/* Read and parse the response on conn. Returns 0 with *keep telling whether the connection can
 * be reused, or -1. On an upgrade, the bytes after the head stay in conn's buffer. */
static int read_response(struct cl_conn *conn, struct reading *r, bool *keep, bt_err **err)
{
    http_parser p;
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = r;
    *keep = false;
    for (;;) {
        if (!conn->len) {
            ssize_t n = cl_conn_fill(conn);
            if (n < 0) {
                int e = errno;
                bt_autofree char *why = cl_conn_why(conn);
                if (why)
                    return bt_err_set(err, BT_E_UNAVAILABLE, "%s", why);
                char text[128];
                return bt_err_set(err, BT_E_UNAVAILABLE, "read the engine's answer: %s",
                                  bt_go_strerror(e, text, sizeof(text)));
            }
            if (n == 0) {
                /* EOF: ends a body that runs to the end of the connection */
                http_parser_execute(&p, &settings, NULL, 0);
                if (r->done)
                    return 0;
                bt_autofree char *why = cl_conn_why(conn);
                if (why)
                    return bt_err_set(err, BT_E_UNAVAILABLE, "%s", why);
                return bt_err_set(err, BT_E_UNAVAILABLE,
                                  "the engine closed the connection before it answered");
            }
        }
        size_t used = http_parser_execute(&p, &settings, conn->buf + conn->off, conn->len);
        conn->off += used;
        conn->len -= used;
        if (r->sink_stopped)
            return bt_err_set(err, BT_E_CANCELED, "canceled");
        if (p.upgrade && r->hijack) {
            r->resp->status = p.status_code;
            return 0;
        }
        if (r->done) {
            *keep = http_should_keep_alive(&p) && !r->hijack;
            return 0;
        }
        enum http_errno e = HTTP_PARSER_ERRNO(&p);
        if (e != HPE_OK && e != HPE_PAUSED)
            return bt_err_set(err, BT_E_CORRUPT, "bad answer from the engine: %s",
                              http_errno_description(e));
    }
}

/* ---- writing a request ---- */

static void request_head(struct cl_client *c, const struct cl_request *req, const char *body_len,
                         bool hijack, struct bt_strbuf *out)
{
    const char *path = req->path;
    if (strcmp(path, "/_ping") == 0)
        bt_strbuf_appendf(out, "%s /_ping HTTP/1.1\r\n", req->method);
    else
        bt_strbuf_appendf(out, "%s /v%s%s HTTP/1.1\r\n", req->method, c->version, path);
    if (c->ep.proto == CL_TCP)
        bt_strbuf_appendf(out, "Host: %s:%d\r\n", c->ep.host, c->ep.port);
    else
        bt_strbuf_append(out, "Host: api.moby.localhost\r\n");
    bt_strbuf_appendf(out, "User-Agent: Berth-Client/%s (linux)\r\n", BERTH_VERSION);
    if (req->json)
        bt_strbuf_append(out, "Content-Type: application/json\r\n");
    else if (req->content_type)
        bt_strbuf_appendf(out, "Content-Type: %s\r\n", req->content_type);
    if (body_len)
        bt_strbuf_appendf(out, "Content-Length: %s\r\n", body_len);
    else if (req->source)
        bt_strbuf_append(out, "Transfer-Encoding: chunked\r\n");
    for (const char *const *h = req->headers; h && *h; h++)
        bt_strbuf_appendf(out, "%s\r\n", *h);
    if (hijack)
        bt_strbuf_append(out, "Connection: Upgrade\r\nUpgrade: tcp\r\n");
    bt_strbuf_append(out, "\r\n");
}

/* The streamed body, chunk by chunk. A write that fails (the engine answered early and closed)
 * stops the upload; the answer then says why. */
static int send_chunks(struct cl_conn *conn, const struct cl_request *req, bool *broken,
                       bt_err **err)
{
    char buf[65536];
    for (;;) {
        ssize_t n = req->source(req->source_arg, buf, sizeof(buf));
        if (n < 0) {
            int e = errno;
            char text[128];
            return bt_err_set(err, e | CL_ERR_FINAL, "read the data to send: %s",
                              bt_go_strerror(e, text, sizeof(text)));
        }
        char head[32];
        int hl = snprintf(head, sizeof(head), "%zx\r\n", (size_t)n);
        if (cl_conn_write_all(conn, head, (size_t)hl, NULL) < 0 ||
            (n > 0 && cl_conn_write_all(conn, buf, (size_t)n, NULL) < 0) ||
            cl_conn_write_all(conn, "\r\n", 2, NULL) < 0) {
            *broken = true;
            return 0;
        }
        if (n == 0)
            return 0;
    }
}

static int ensure_conn(struct cl_client *c, bt_err **err)
{
    if (c->conn)
        return 0;
    c->conn = cl_conn_open(&c->ep, err);
    return c->conn ? 0 : -1;
}

/* One exchange on the client's connection. `retry`: a kept-alive connection the engine closed
 * meanwhile fails at once; try again on a new one (only when nothing was streamed). */
static int exchange(struct cl_client *c, const struct cl_request *req, struct reading *r,
                    bool hijack, bt_err **err)
{
    bool reused = c->conn != NULL;
    if (ensure_conn(c, err) < 0)
        return -1;
    bt_autofree char *json = req->json ? bt_json_dumps(req->json) : NULL;
    const char *body = json ? json : req->body;
    size_t body_len = json ? strlen(json) : req->body_len;
    char len[32] = "";
    if (body)
        snprintf(len, sizeof(len), "%zu", body_len);
    else if (!req->source && strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
        snprintf(len, sizeof(len), "0");
    bt_autostrbuf struct bt_strbuf head = BT_STRBUF_INIT;
    request_head(c, req, body || (!req->source && len[0] == '0') ? len : NULL, hijack, &head);
    bool broken = false;
    if (cl_conn_write_all(c->conn, head.buf, head.len, NULL) < 0 ||
        (body && cl_conn_write_all(c->conn, body, body_len, NULL) < 0))
        broken = true;
    if (!broken && req->source && send_chunks(c->conn, req, &broken, err) < 0) {
        cl_conn_free(bt_steal_ptr(&c->conn));
        return -1;
    }
    bool keep = false;
    bt_autoerr bt_err *rerr = NULL;
    int rc = read_response(c->conn, r, &keep, &rerr);
    if (rc < 0 && reused && !req->source && r->resp->status == 0) {
        /* the engine dropped the idle connection: once more on a fresh one */
        cl_conn_free(bt_steal_ptr(&c->conn));
        bt_strbuf_reset(&r->resp->body);
        return exchange(c, req, r, hijack, err);
    }
    if (rc < 0) {
        cl_conn_free(bt_steal_ptr(&c->conn));
        bt_err_move(err, &rerr);
        return -1;
    }
    if (!keep && !hijack)
        cl_conn_free(bt_steal_ptr(&c->conn));
    return 0;
}

/* Go's url.Error around a request that got no answer, as the docker CLI prints one:
 *   error during connect: Get "https://127.0.0.1:2376/v1.41/containers/json": EOF
 * Errors already in their final words (the engine's, "Cannot connect ...") are left alone. */
static int connect_failed(const struct cl_client *c, const struct cl_request *req, bt_err **err)
{
    if (!err || !*err || (bt_err_code(*err) & (CL_ERR_DAEMON | CL_ERR_FINAL)) ||
        bt_err_code(*err) == BT_E_CANCELED)
        return -1;
    bt_autostrbuf struct bt_strbuf url = BT_STRBUF_INIT;
    const struct cl_endpoint *ep = &c->ep;
    if (ep->proto == CL_TCP) {
        bool v6 = strchr(ep->host, ':') != NULL;
        bt_strbuf_appendf(&url, "%s://%s%s%s:%d", ep->tls ? "https" : "http", v6 ? "[" : "",
                          ep->host, v6 ? "]" : "", ep->port);
    } else if (ep->proto == CL_UNIX) {
        bt_strbuf_append(&url, "http://"); /* the socket's path as Go escapes a host */
        for (const char *p = ep->path; *p; p++)
            if (*p == '/')
                bt_strbuf_append(&url, "%2F");
            else
                bt_strbuf_append_n(&url, p, 1);
    } else {
        bt_strbuf_append(&url, "http://docker.example.com"); /* the docker CLI's, over SSH */
    }
    if (strcmp(req->path, "/_ping") == 0)
        bt_strbuf_append(&url, "/_ping");
    else
        bt_strbuf_appendf(&url, "/v%s%s", c->version, req->path);
    char method[16];
    snprintf(method, sizeof(method), "%s", req->method);
    for (char *p = method + 1; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    int code = bt_err_code(*err);
    bt_autofree char *msg = bt_xstrdup(bt_err_msg(*err));
    bt_err_free(bt_steal_ptr(err));
    /* the docker client's two hints */
    if (ep->tls && strstr(msg, "bad certificate"))
        return bt_err_set(err, code | CL_ERR_FINAL,
                          "the server probably has client authentication (--tlsverify) enabled; "
                          "check your TLS client certification settings: %s \"%s\": %s",
                          method, bt_strbuf_str(&url), msg);
    if (ep->proto == CL_TCP && !ep->tls && code == BT_E_CORRUPT)
        return bt_err_set(err, code | CL_ERR_FINAL,
                          "%s \"%s\": %s.\n* Are you trying to connect to a TLS-enabled daemon "
                          "without TLS?",
                          method, bt_strbuf_str(&url), msg);
    return bt_err_set(err, code | CL_ERR_FINAL, "error during connect: %s \"%s\": %s", method,
                      bt_strbuf_str(&url), msg);
}

static int request(struct cl_client *c, const struct cl_request *req, struct cl_response *resp,
                   json_t *headers, bool hijack, bt_err **err);

/* One request, negotiating the API version first (with the engine's _ping) when not yet done.
 * A failure to get an answer, the negotiation's included, is reported on this request. */
static int do_request(struct cl_client *c, const struct cl_request *req, struct cl_response *resp,
                      json_t *headers, bool hijack, bt_err **err)
{
    if (request(c, req, resp, headers, hijack, err) < 0)
        return connect_failed(c, req, err);
    return 0;
}

static int request(struct cl_client *c, const struct cl_request *req, struct cl_response *resp,
                   json_t *headers, bool hijack, bt_err **err)
{
    if (!c->negotiated && strcmp(req->path, "/_ping") != 0 && cl_negotiate(c, err) < 0)
        return -1;
    *resp = (struct cl_response){0};
    struct reading r = {.req = req,
                        .resp = resp,
                        .headers = headers,
                        .head = strcmp(req->method, "HEAD") == 0,
                        .hijack = hijack};
    int rc = exchange(c, req, &r, hijack, err);
    bt_strbuf_free(&r.field);
    bt_strbuf_free(&r.value);
    if (rc < 0)
        cl_response_clear(resp);
    return rc;
}

int cl_do(struct cl_client *c, const struct cl_request *req, struct cl_response *resp, bt_err **err)
{
    return do_request(c, req, resp, req->resp_headers, false, err);
}

/* ---- errors and JSON ---- */

static int status_code(int status)
{
    switch (status) {
    case 304:
        return BT_E_NOT_MODIFIED;
    case 400:
        return BT_E_INVALID;
    case 401:
        return BT_E_UNAUTHORIZED;
    case 403:
        return BT_E_FORBIDDEN;
    case 404:
        return BT_E_NOT_FOUND;
    case 409:
        return BT_E_CONFLICT;
    case 501:
        return BT_E_UNSUPPORTED;
    case 503:
        return BT_E_UNAVAILABLE;
    default:
        return BT_E_INTERNAL;
    }
}

static int daemon_error(const struct cl_response *resp, bt_err **err)
{
    const char *text = bt_strbuf_str(&resp->body);
    bt_autoptr(json_t) doc = resp->body.len ? bt_json_parse(text, resp->body.len, NULL) : NULL;
    const char *msg = doc ? bt_json_get_str(doc, "message", NULL) : NULL;
    bt_autofree char *plain = NULL;
    if (!msg) {
        size_t n = resp->body.len;
        while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
            n--;
        plain = n ? bt_xstrndup(text, n) : bt_xasprintf("HTTP status %d", resp->status);
        msg = plain;
    }
    return bt_err_set(err, status_code(resp->status) | CL_ERR_DAEMON, "%s", msg);
}

bool cl_err_is_daemon(const bt_err *err)
{
    return err && (bt_err_code(err) & CL_ERR_DAEMON);
}

int cl_err_kind(const bt_err *err)
{
    return err ? bt_err_code(err) & ~(CL_ERR_DAEMON | CL_ERR_FINAL) : 0;
}

int cl_call(struct cl_client *c, const struct cl_request *req, struct cl_response *resp,
            bt_err **err)
{
    if (cl_do(c, req, resp, err) < 0)
        return -1;
    if (resp->status >= 400) {
        daemon_error(resp, err);
        cl_response_clear(resp);
        return -1;
    }
    return resp->status;
}

json_t *cl_json(struct cl_client *c, const char *method, const char *path, const json_t *body,
                int *status, bt_err **err)
{
    struct cl_request req = {.method = method, .path = path, .json = body};
    struct cl_response resp;
    if (cl_call(c, &req, &resp, err) < 0)
        return NULL;
    if (status)
        *status = resp.status;
    json_t *doc = NULL;
    if (resp.body.len) {
        doc = bt_json_parse(resp.body.buf, resp.body.len, err);
        if (!doc)
            bt_err_wrap(err, "%s %s: the engine's answer", method, path);
    }
    cl_response_clear(&resp);
    return doc;
}

int cl_negotiate(struct cl_client *c, bt_err **err)
{
    struct cl_request req = {.method = "HEAD", .path = "/_ping"};
    struct cl_response resp;
    json_object_clear(c->ping_headers);
    if (request(c, &req, &resp, c->ping_headers, false, err) < 0)
        return -1;
    int status = resp.status;
    cl_response_clear(&resp);
    c->negotiated = true;
    const char *v = bt_json_get_str(c->ping_headers, "api-version", NULL);
    if (status >= 400 && !v)
        return 0; /* an engine without HEAD /_ping: keep the default */
    /* the lower of the two, compared as major.minor */
    int smaj = 0, smin = 0, cmaj = 0, cmin = 0;
    if (v && sscanf(v, "%d.%d", &smaj, &smin) == 2 &&
        sscanf(CL_API_VERSION, "%d.%d", &cmaj, &cmin) == 2 &&
        (smaj < cmaj || (smaj == cmaj && smin < cmin)))
        snprintf(c->version, sizeof(c->version), "%d.%d", smaj, smin);
    return 0;
}

/* ---- hijack ---- */

int cl_hijack(struct cl_client *c, const struct cl_request *req, struct cl_stream **out,
              bt_err **err)
{
    struct cl_response resp;
    if (do_request(c, req, &resp, NULL, true, err) < 0)
        return -1;
    if (resp.status >= 400) {
        daemon_error(&resp, err);
        cl_response_clear(&resp);
        cl_conn_free(bt_steal_ptr(&c->conn));
        return -1;
    }
    cl_response_clear(&resp);
    struct cl_stream *s = bt_xzalloc(sizeof(*s));
    s->conn = bt_steal_ptr(&c->conn);
    *out = s;
    return 0;
}
