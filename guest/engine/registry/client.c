/* SPDX-License-Identifier: Apache-2.0 */
/* Sessions with a registry: endpoints, TLS, the auth handshake, requests (libcurl). */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "berth-version.h"
#include "guest/engine/registry/registry-internal.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define DEFAULT_CERTS_DIR "/etc/berth/certs.d"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct registry *registry_new(const struct registry_opts *o, bt_err **err)
{
    (void)err;
    pthread_once(&curl_once, curl_init_once);
    struct registry *r = bt_xzalloc(sizeof(*r));
    r->insecure = bt_strv_dup(o && o->insecure ? o->insecure : (char *const[]){NULL});
    r->certs_dir = bt_xstrdup(o && o->certs_dir ? o->certs_dir : DEFAULT_CERTS_DIR);
    r->state_dir = bt_xstrdup_or_null(o ? o->state_dir : NULL);
    r->max_downloads = o && o->max_downloads > 0 ? o->max_downloads : 3;
    r->max_uploads = o && o->max_uploads > 0 ? o->max_uploads : 5;
    return r;
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    bt_strv_free(r->insecure);
    free(r->certs_dir);
    free(r->state_dir);
    free(r);
}

void reg_split_name(const char *name, char **host, char **path)
{
    const char *slash = strchr(name, '/');
    if (!slash) {
        *host = bt_xstrdup("registry-1.docker.io");
        *path = bt_xstrdup(name);
        return;
    }
    bt_autofree char *domain = bt_xstrndup(name, (size_t)(slash - name));
    *host = bt_xstrdup(strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain);
    *path = bt_xstrdup(slash + 1);
}

/* ---- insecure registries ---- */

static char *host_only(const char *host)
{
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        return end ? bt_xstrndup(host + 1, (size_t)(end - host - 1)) : bt_xstrdup(host);
    }
    const char *colon = strrchr(host, ':');
    return colon && !strchr(colon + 1, ':') ? bt_xstrndup(host, (size_t)(colon - host))
                                            : bt_xstrdup(host);
}

static bool in_cidr(const char *ip, const char *cidr)
{
    const char *slash = strchr(cidr, '/');
    if (!slash)
        return false;
    bt_autofree char *net = bt_xstrndup(cidr, (size_t)(slash - cidr));
    int bits = atoi(slash + 1);
    struct in_addr a, n;
    if (inet_pton(AF_INET, ip, &a) != 1 || inet_pton(AF_INET, net, &n) != 1 || bits < 0 ||
        bits > 32)
        return false;
    uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;
    return (a.s_addr & mask) == (n.s_addr & mask);
}

/* Whether ip is an address of this machine (the VM's own 192.168.99.100, say). */
static bool is_own_address(const char *ip)
{
    unsigned char want[16];
    int fam = inet_pton(AF_INET, ip, want) == 1    ? AF_INET
              : inet_pton(AF_INET6, ip, want) == 1 ? AF_INET6
                                                   : 0;
    struct ifaddrs *list = NULL;
    if (!fam || getifaddrs(&list) < 0)
        return false;
    bool found = false;
    for (struct ifaddrs *i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
            continue;
        if (fam == AF_INET)
            found = memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, want, 4) == 0;
        else
            found = memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, want, 16) == 0;
    }
    freeifaddrs(list);
    return found;
}

/* dockerd's isSecureIndex, less the mirror logic: loopback, localhost, the insecure list
 * (hosts with or without port, CIDRs of the host's address); and, beyond dockerd, the engine's
 * own addresses, so that the Toolbox habit `docker push 192.168.99.100:5000/img` (a registry
 * container on the VM) works without daemon configuration. */
static bool is_insecure(const struct registry *r, const char *host)
{
    bt_autofree char *h = host_only(host);
    if (strcmp(h, "localhost") == 0 || in_cidr(h, "127.0.0.0/8") || strcmp(h, "::1") == 0 ||
        is_own_address(h))
        return true;
    for (size_t i = 0; r->insecure[i]; i++) {
        const char *e = r->insecure[i];
        if (strcmp(e, host) == 0 || strcmp(e, h) == 0 || in_cidr(h, e))
            return true;
    }
    return false;
}

/* ---- sessions ---- */

static char *certs_file(const struct registry *r, const char *host, const char *name)
{
    char *p = bt_xasprintf("%s/%s/%s", r->certs_dir, host, name);
    if (access(p, R_OK) == 0)
        return p;
    free(p);
    return NULL;
}

static void auth_copy(struct reg_auth *dst, const struct reg_auth *src)
{
    memset(dst, 0, sizeof(*dst));
    if (!src)
        return;
    dst->username = bt_xstrdup_or_null(src->username);
    dst->password = bt_xstrdup_or_null(src->password);
    dst->auth = bt_xstrdup_or_null(src->auth);
    dst->identity_token = bt_xstrdup_or_null(src->identity_token);
    dst->registry_token = bt_xstrdup_or_null(src->registry_token);
    dst->server_address = bt_xstrdup_or_null(src->server_address);
}

CURL *reg_curl(void)
{
    pthread_once(&curl_once, curl_init_once);
    return curl_easy_init();
}

struct reg_session *reg_session_open(struct registry *r, const char *host, const char *path,
                                     const char *actions, const struct reg_auth *auth, bt_err **err)
{
    struct reg_session *s = bt_xzalloc(sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->r = r;
    s->host = bt_xstrdup(host);
    s->insecure = is_insecure(r, host);
    s->ca_file = certs_file(r, host, "ca.crt");
    s->cert_file = certs_file(r, host, "client.cert");
    s->key_file = certs_file(r, host, "client.key");
    s->scope = path ? bt_xasprintf("repository:%s:%s", path, actions) : NULL;
    auth_copy(&s->auth, auth);
    if (auth && auth->registry_token && *auth->registry_token)
        s->authz = bt_xasprintf("Bearer %s", auth->registry_token);
    /* the ping: https first; an insecure registry falls back to http */
    CURL *c = reg_curl();
    const char *schemes[] = {"https", s->insecure ? "http" : NULL};
    bt_err *first = NULL;
    for (size_t i = 0; i < 2 && schemes[i]; i++) {
        free(s->base);
        s->base = bt_xasprintf("%s://%s", schemes[i], host);
        /* no_auth: the ping only learns whether there is a challenge; requests answer it */
        struct reg_req q = {.method = "GET",
                            .url = "/v2/",
                            .body_fd = -1,
                            .out_fd = -1,
                            .max_body = 1 << 16,
                            .no_auth = true};
        struct reg_resp resp = {0};
        bt_err *e = NULL;
        int rc = reg_do(s, c, &q, &resp, &e);
        long status = resp.status;
        reg_resp_clear(&resp);
        if (rc == 0 && (status == 200 || status == 401 || status == 404)) {
            bt_err_free(first);
            curl_easy_cleanup(c);
            return s;
        }
        if (rc == 0)
            bt_err_set(&e, BT_E_UNAVAILABLE, "Get \"%s/v2/\": unexpected status %ld", s->base,
                       status);
        if (!first)
            first = e;
        else
            bt_err_free(e);
    }
    curl_easy_cleanup(c);
    bt_err_move(err, &first);
    reg_session_close(s);
    return NULL;
}

void reg_session_close(struct reg_session *s)
{
    if (!s)
        return;
    reg_auth_clear(&s->auth);
    pthread_mutex_destroy(&s->mu);
    free(s->host);
    free(s->base);
    free(s->ca_file);
    free(s->cert_file);
    free(s->key_file);
    free(s->scope);
    free(s->authz);
    free(s);
}

/* ---- requests ---- */

void reg_resp_clear(struct reg_resp *r)
{
    free(r->location);
    free(r->digest);
    free(r->content_type);
    free(r->www_auth);
    free(r->range);
    bt_strbuf_free(&r->body);
    memset(r, 0, sizeof(*r));
}

struct xfer {
    CURL *c;
    const struct reg_req *q;
    struct reg_resp *resp;
    int write_errno;
    bool too_big;
};

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    struct reg_resp *r = x->resp;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (after a redirect or a 100): forget the previous one's headers */
        free(r->location), free(r->digest), free(r->content_type), free(r->www_auth);
        free(r->range);
        r->location = r->digest = r->content_type = r->www_auth = r->range = NULL;
        r->content_length = -1;
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;
    size_t klen = (size_t)(colon - data);
    const char *v = colon + 1;
    const char *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    char **slot = NULL;
    if (klen == 8 && strncasecmp(data, "location", 8) == 0)
        slot = &r->location;
    else if (klen == 21 && strncasecmp(data, "docker-content-digest", 21) == 0)
        slot = &r->digest;
    else if (klen == 12 && strncasecmp(data, "content-type", 12) == 0)
        slot = &r->content_type;
    else if (klen == 16 && strncasecmp(data, "www-authenticate", 16) == 0)
        slot = &r->www_auth;
    else if (klen == 5 && strncasecmp(data, "range", 5) == 0)
        slot = &r->range;
    else if (klen == 14 && strncasecmp(data, "content-length", 14) == 0)
        r->content_length = strtoll(v, NULL, 10);
    if (slot && !*slot) /* the first of several challenges */
        *slot = bt_xstrndup(v, (size_t)(end - v));
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &status);
    if (x->q->out_fd >= 0 && status >= 200 && status < 300) {
        bt_autoerr bt_err *e = NULL;
        if (bt_fd_write_all(x->q->out_fd, data, len, &e) < 0) {
            x->write_errno = bt_err_code(e);
            return 0;
        }
        if (x->q->hash)
            bt_sha256_update(x->q->hash, data, len);
        return len;
    }
    size_t max = x->q->max_body ? x->q->max_body : (1 << 20);
    if (x->resp->body.len + len > max) {
        x->too_big = true;
        return 0;
    }
    bt_strbuf_append_n(&x->resp->body, data, len);
    return len;
}

struct body_src {
    const struct reg_req *q;
    int64_t pos;
};

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    struct body_src *b = arg;
    int64_t left = b->q->body_len - b->pos;
    size_t want = size * n;
    if (left <= 0)
        return 0;
    if ((int64_t)want > left)
        want = (size_t)left;
    ssize_t got;
    do {
        got = pread(b->q->body_fd, buf, want, (off_t)(b->q->body_off + b->pos));
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return CURL_READFUNC_ABORT;
    b->pos += got;
    return (size_t)got;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const struct reg_req *q = arg;
    if (q->progress) {
        if (ultotal > 0 || ulnow > 0)
            q->progress(q->progress_arg, ulnow, ultotal);
        else
            q->progress(q->progress_arg, dlnow, dltotal);
    }
    return 0;
}

/* Go's method names in url.Error: "Get", "Head", "Put", ... */
static char *go_method(const char *m)
{
    char *s = bt_xstrdup(m);
    for (char *p = s + 1; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return s;
}

/* A transport failure as Go's net/http says it, near enough: `Get "url": dial tcp host:
 * connect: connection refused`, `... x509: certificate signed by unknown authority`. */
static int transport_error(CURL *c, const char *method, const char *url, CURLcode rc,
                           const char *ebuf, bt_err **err)
{
    bt_autofree char *m = go_method(method);
    long os_errno = 0;
    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
    const char *why = *ebuf ? ebuf : curl_easy_strerror(rc);
    bt_autofree char *dial = NULL;
    if (rc == CURLE_COULDNT_CONNECT) {
        /* Go's net.OpError: "dial tcp <host:port>: connect: <errno's words>" */
        char *host = NULL, *port = NULL;
        CURLU *u = curl_url();
        if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
            curl_url_get(u, CURLUPART_HOST, &host, 0);
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
        }
        char words[128];
        dial = bt_xasprintf(
                "dial tcp %s:%s: connect: %s", host ? host : "?", port ? port : "?",
                bt_go_strerror(os_errno ? (int)os_errno : ECONNREFUSED, words, sizeof(words)));
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        why = dial;
    } else if (rc == CURLE_COULDNT_RESOLVE_HOST) {
        char *host = NULL;
        CURLU *u = curl_url();
        if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
            curl_url_get(u, CURLUPART_HOST, &host, 0);
        dial = bt_xasprintf("dial tcp: lookup %s: no such host", host ? host : "?");
        curl_free(host);
        curl_url_cleanup(u);
        why = dial;
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION)
        why = "tls: failed to verify certificate: x509: certificate signed by unknown authority";
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        why = "net/http: request canceled (Client.Timeout exceeded while awaiting headers)";
    return bt_err_set(err, BT_E_UNAVAILABLE, "%s \"%s\": %s", m, url, why);
}

static int perform(struct reg_session *s, CURL *c, const struct reg_req *q, const char *url,
                   const char *authz, struct reg_resp *resp, bt_err **err)
{
    curl_easy_reset(c);
    char ebuf[CURL_ERROR_SIZE] = "";
    struct xfer x = {.c = c, .q = q, .resp = resp};
    struct body_src src = {.q = q};
    struct curl_slist *h = NULL;
    bt_autofree char *accept = q->accept ? bt_xasprintf("Accept: %s", q->accept) : NULL;
    bt_autofree char *ctype =
            q->content_type ? bt_xasprintf("Content-Type: %s", q->content_type) : NULL;
    bt_autofree char *auth = authz ? bt_xasprintf("Authorization: %s", authz) : NULL;
    bt_autofree char *range =
            q->content_range ? bt_xasprintf("Content-Range: %s", q->content_range) : NULL;
    if (accept)
        h = curl_slist_append(h, accept);
    if (ctype)
        h = curl_slist_append(h, ctype);
    if (auth)
        h = curl_slist_append(h, auth);
    if (range)
        h = curl_slist_append(h, range);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/" BERTH_VERSION " (registry client)");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, strcmp(q->method, "GET") == 0 ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    if (q->progress) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)q);
    }
    if (s->insecure && strncmp(url, "https:", 6) == 0) {
        /* dockerd's insecure registries: TLS tried without verification, then plain HTTP */
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (s->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
    if (s->cert_file && s->key_file) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, s->cert_file);
        curl_easy_setopt(c, CURLOPT_SSLKEY, s->key_file);
    }
    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
        if (q->body_fd >= 0) {
            curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(c, CURLOPT_READDATA, &src);
            curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
        } else {
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->data ? q->data : "");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
        }
    }
    resp->content_length = -1;
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (rc != CURLE_OK) {
        if (x.write_errno)
            return bt_err_errno(err, x.write_errno, "write the download");
        if (x.too_big)
            return bt_err_set(err, BT_E_CORRUPT, "%s %s: the answer is too large", q->method, url);
        return transport_error(c, q->method, url, rc, ebuf, err);
    }
    return 0;
}

static char *b64(const char *s)
{
    return bt_base64_encode(s, strlen(s));
}

static bool has_creds(const struct reg_auth *a)
{
    return a->username && *a->username;
}

/* A bearer token for the session's scope from the challenge's realm. */
static int fetch_token(struct reg_session *s, CURL *c, const struct reg_challenge *ch, char **token,
                       bt_err **err)
{
    if (!ch->realm)
        return bt_err_set(err, BT_E_UNAUTHORIZED, "no realm in the registry's auth challenge");
    CURLU *u = curl_url();
    if (curl_url_set(u, CURLUPART_URL, ch->realm, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return bt_err_set(err, BT_E_UNAUTHORIZED, "invalid token realm \"%s\"", ch->realm);
    }
    if (ch->service) {
        bt_autofree char *kv = bt_xasprintf("service=%s", ch->service);
        curl_url_set(u, CURLUPART_QUERY, kv, CURLU_APPENDQUERY | CURLU_URLENCODE);
    }
    const char *scope = s->scope ? s->scope : ch->scope;
    if (scope) {
        bt_autofree char *kv = bt_xasprintf("scope=%s", scope);
        curl_url_set(u, CURLUPART_QUERY, kv, CURLU_APPENDQUERY | CURLU_URLENCODE);
    }
    if (has_creds(&s->auth)) {
        bt_autofree char *kv = bt_xasprintf("account=%s", s->auth.username);
        curl_url_set(u, CURLUPART_QUERY, kv, CURLU_APPENDQUERY | CURLU_URLENCODE);
    }
    char *url = NULL;
    curl_url_get(u, CURLUPART_URL, &url, 0);
    curl_url_cleanup(u);
    bt_autofree char *basic = NULL;
    if (has_creds(&s->auth)) {
        bt_autofree char *up =
                bt_xasprintf("%s:%s", s->auth.username, s->auth.password ? s->auth.password : "");
        bt_autofree char *enc = b64(up);
        basic = bt_xasprintf("Basic %s", enc);
    }
    struct reg_req q = {
            .method = "GET", .url = url, .body_fd = -1, .out_fd = -1, .max_body = 1 << 20};
    struct reg_resp resp = {0};
    int rc = perform(s, c, &q, url, basic, &resp, err);
    if (rc == 0 && resp.status != 200) {
        bt_autofree char *msg = reg_errors_message(resp.body.buf, resp.body.len, NULL);
        if (msg)
            rc = bt_err_set(err, BT_E_UNAUTHORIZED, "%s", msg);
        else
            rc = bt_err_set(err, BT_E_UNAUTHORIZED,
                            "Get \"%s\": unexpected status from the token server: %ld", url,
                            resp.status);
    }
    struct reg_token t = {0};
    if (rc == 0)
        rc = reg_token_parse(resp.body.buf ? resp.body.buf : "", resp.body.len, &t, err);
    if (rc == 0)
        *token = bt_xstrdup(t.token);
    reg_token_clear(&t);
    reg_resp_clear(&resp);
    curl_free(url);
    return rc;
}

/* Answer a 401's challenge: the session's Authorization from here on. */
static int authorize(struct reg_session *s, CURL *c, const char *challenge, const char *url,
                     const char *method, bt_err **err)
{
    struct reg_challenge ch = {0};
    if (!challenge || reg_challenge_parse(challenge, &ch, NULL) < 0) {
        reg_challenge_clear(&ch);
        return 1; /* nothing to answer: the 401 stands */
    }
    int rc = 1;
    if (strcmp(ch.scheme, "bearer") == 0) {
        char *token = NULL;
        rc = fetch_token(s, c, &ch, &token, err);
        if (rc == 0) {
            pthread_mutex_lock(&s->mu);
            free(s->authz);
            s->authz = bt_xasprintf("Bearer %s", token);
            pthread_mutex_unlock(&s->mu);
            free(token);
        }
    } else if (strcmp(ch.scheme, "basic") == 0) {
        if (!has_creds(&s->auth)) {
            bt_autofree char *m = go_method(method);
            rc = bt_err_set(err, BT_E_UNAUTHORIZED, "%s \"%s\": no basic auth credentials", m, url);
        } else {
            bt_autofree char *up = bt_xasprintf("%s:%s", s->auth.username,
                                                s->auth.password ? s->auth.password : "");
            bt_autofree char *enc = b64(up);
            pthread_mutex_lock(&s->mu);
            free(s->authz);
            s->authz = bt_xasprintf("Basic %s", enc);
            pthread_mutex_unlock(&s->mu);
            rc = 0;
        }
    }
    reg_challenge_clear(&ch);
    return rc;
}

int reg_do(struct reg_session *s, CURL *c, const struct reg_req *q, struct reg_resp *resp,
           bt_err **err)
{
    bt_autofree char *url =
            strncmp(q->url, "http://", 7) == 0 || strncmp(q->url, "https://", 8) == 0
                    ? bt_xstrdup(q->url)
                    : bt_xasprintf("%s%s", s->base, q->url);
    for (int attempt = 0;; attempt++) {
        pthread_mutex_lock(&s->mu);
        bt_autofree char *authz = q->no_auth ? NULL : bt_xstrdup_or_null(s->authz);
        pthread_mutex_unlock(&s->mu);
        reg_resp_clear(resp);
        if (q->out_fd >= 0 && (ftruncate(q->out_fd, 0) < 0 || lseek(q->out_fd, 0, SEEK_SET) < 0))
            return bt_err_errno(err, errno, "reset the download");
        if (perform(s, c, q, url, authz, resp, err) < 0)
            return -1;
        if (resp->status != 401 || attempt > 0 || q->no_auth)
            return 0;
        bt_autofree char *challenge = bt_xstrdup_or_null(resp->www_auth);
        int rc = authorize(s, c, challenge, url, q->method, err);
        if (rc < 0)
            return -1;
        if (rc > 0)
            return 0;
    }
}

int reg_status_error(const struct reg_req *q, const struct reg_resp *resp, int code_hint,
                     bt_err **err)
{
    char *code = NULL;
    bt_autofree char *msg =
            reg_errors_message(resp->body.buf ? resp->body.buf : "", resp->body.len, &code);
    int kind = code_hint ? code_hint : BT_E_UNAVAILABLE;
    if (resp->status == 401)
        kind = BT_E_UNAUTHORIZED;
    else if (resp->status == 403)
        kind = BT_E_FORBIDDEN;
    else if (resp->status == 404)
        kind = BT_E_NOT_FOUND;
    free(code);
    if (msg)
        return bt_err_set(err, kind, "%s", msg);
    if (resp->status == 401)
        return bt_err_set(err, kind, "unauthorized: authentication required");
    bt_autofree char *m = go_method(q->method);
    return bt_err_set(err, kind, "%s %s: unexpected status code %ld", m, q->url, resp->status);
}
