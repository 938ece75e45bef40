/* SPDX-License-Identifier: Apache-2.0 */
/* berth build: the docker CLI 28's classic build (POST /build, version=1); the work is in
 * host/build (the query, the context and its tar). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/build/build.h"
#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/jsonmsg.h"
#include "host/cli/registry.h"
#include "host/cli/util.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

struct build_flags {
    char **tags, **build_args, **labels, **cache_from;
    const char *file, *target, *network, *platform, *iidfile;
    bool no_cache, rm, force_rm, quiet, pull, compress;
};

static int tag_set(void *value, const char *arg, bt_err **err)
{
    bt_autoptr(bt_ref) r = bt_ref_parse(arg, err);
    if (!r)
        return -1;
    bt_strv_push(value, arg);
    return 0;
}

static int build_arg_set(void *value, const char *arg, bt_err **err)
{
    bt_autofree char *v = build_arg_validate(arg, err);
    if (!v)
        return -1;
    bt_strv_push(value, v);
    return 0;
}

/* pflag's StringSlice: comma-separated values */
static int cache_from_set(void *value, const char *arg, bt_err **err)
{
    (void)err;
    bt_autofree char *copy = bt_xstrdup(arg);
    char *save = NULL;
    for (char *v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save))
        bt_strv_push(value, v);
    return 0;
}

static int label_set(void *value, const char *arg, bt_err **err)
{
    if (build_label_validate(arg, err) < 0)
        return -1;
    bt_strv_push(value, arg);
    return 0;
}

/* ---- the body: the tar made in a thread, read from a pipe as the request goes ---- */

struct body {
    struct build_archive_src src;
    int pipe[2];
    pthread_t thread;
    bool started;
    bt_err *err;
    /* stdin's bytes already read (a "-" context), sent before the rest of in_fd */
    const char *head;
    size_t head_len;
    int in_fd;
    int64_t sent;
    FILE *progress; /* "Sending build context to Docker daemon" at the end, or NULL */
};

static void *pack_main(void *arg)
{
    struct body *b = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    build_context_pack(b->pipe[1], &b->src, &b->err);
    close(b->pipe[1]);
    b->pipe[1] = -1;
    return NULL;
}

static ssize_t body_source(void *arg, char *buf, size_t len)
{
    struct body *b = arg;
    ssize_t n;
    if (b->head_len) {
        n = (ssize_t)(b->head_len < len ? b->head_len : len);
        memcpy(buf, b->head, (size_t)n);
        b->head += n;
        b->head_len -= (size_t)n;
    } else {
        do {
            n = read(b->in_fd, buf, len);
        } while (n < 0 && errno == EINTR);
    }
    if (n == 0 && b->started) {
        /* a tar cut short by a failure must not reach the engine as a whole one */
        pthread_join(b->thread, NULL);
        b->started = false;
        if (b->err) {
            errno = EIO;
            return -1;
        }
    }
    if (n > 0)
        b->sent += n;
    if (n == 0 && b->progress) {
        /* docker's progress reader off a terminal: only its last update, raw formatter */
        bt_autostrbuf struct bt_strbuf size = BT_STRBUF_INIT;
        fmt_human_size((double)b->sent, 4, &size);
        fprintf(b->progress, "Sending build context to Docker daemon %8s\r\r\n",
                bt_strbuf_str(&size));
        fflush(b->progress);
        b->progress = NULL;
    }
    return n;
}

static int body_start(struct body *b, bt_err **err)
{
    if (pipe2(b->pipe, O_CLOEXEC) < 0)
        return bt_err_errno(err, errno, "pipe");
    b->in_fd = b->pipe[0];
    if (pthread_create(&b->thread, NULL, pack_main, b) != 0)
        return bt_err_set(err, BT_E_INTERNAL, "cannot start a thread to send the context");
    b->started = true;
    return 0;
}

static void body_end(struct body *b)
{
    if (b->pipe[0] >= 0)
        close(b->pipe[0]); /* a writer still going fails with EPIPE */
    b->pipe[0] = -1;
    if (b->started)
        pthread_join(b->thread, NULL);
    b->started = false;
    bt_err_free(b->err);
    b->err = NULL;
}

static int read_all(int fd, struct bt_strbuf *out)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : 0;
        bt_strbuf_append_n(out, buf, (size_t)n);
    }
}

/* ".dockerfile." and 20 hex digits, as stringid.GenerateRandomID()[:20] */
static char *random_name(void)
{
    unsigned char r[10] = {0};
    if (getrandom(r, sizeof(r), 0) < 0)
        r[0] = (unsigned char)getpid();
    char hex[21];
    for (size_t i = 0; i < 10; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    return bt_xasprintf(".dockerfile.%s", hex);
}

static void aux_id(void *arg, const json_t *aux)
{
    char **id = arg;
    const char *v = bt_json_get_str(aux, "ID", NULL);
    if (v) {
        free(*id);
        *id = bt_xstrdup(v);
    }
}

static bool is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 ||
           strncmp(s, "git://", 6) == 0 || strncmp(s, "git@", 4) == 0 ||
           strncmp(s, "github.com/", 11) == 0;
}

__attribute__((format(printf, 2, 3))) static int fail_msg(struct berth_cli *cli, const char *fmt,
                                                          ...)
{
    fflush(cli->out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(cli->err, fmt, ap);
    va_end(ap);
    fputc('\n', cli->err);
    return BERTH_EXIT_FAIL;
}

/* The context from stdin: a tar as it is, or a Dockerfile made into one (GetContextFromReader).
 * Fills b (head: the bytes peeked) and *dockerfile; returns 0 or prints and returns the code. */
static int stdin_context(struct berth_cli *cli, const struct build_flags *f, struct body *b,
                         struct bt_strbuf *peek, char **dockerfile)
{
    char buf[1024];
    size_t got = 0;
    while (got < sizeof(buf)) {
        ssize_t n = read(STDIN_FILENO, buf + got, sizeof(buf) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    bt_strbuf_append_n(peek, buf, got);
    if (build_is_archive((const unsigned char *)buf, got)) {
        b->head = peek->buf;
        b->head_len = peek->len;
        b->in_fd = STDIN_FILENO;
        *dockerfile = f->file ? bt_xstrdup(f->file) : NULL;
        return 0;
    }
    if (f->file && *f->file)
        return fail_msg(cli, "unable to prepare context: ambiguous Dockerfile source: both stdin "
                             "and flag correspond to Dockerfiles");
    read_all(STDIN_FILENO, peek);
    mode_t um = umask(0);
    umask(um);
    b->src.extra_name = "Dockerfile";
    b->src.extra_data = peek->buf ? peek->buf : "";
    b->src.extra_len = peek->len;
    b->src.extra_mode = 0666 & ~um;
    *dockerfile = bt_xstrdup("Dockerfile");
    return 0;
}

/* The context from a directory; an outside or stdin Dockerfile goes in under a random name. */
static int dir_context(struct berth_cli *cli, const char *path, const struct build_flags *f,
                       struct body *b, struct build_context *bc, struct bt_strbuf *df,
                       char **dockerfile)
{
    bt_err *err = NULL;
    bool ctx_err = false;
    if (build_context_prepare(path, f->file, bc, &ctx_err, &err) < 0) {
        if (ctx_err)
            bt_err_wrap(&err, "unable to prepare context");
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    b->src.dir = bc->dir;
    b->src.members = bc->members;
    bool from_stdin = strcmp(bc->dockerfile, "-") == 0;
    if (!from_stdin && !bc->outside) {
        *dockerfile = bt_xstrdup(bc->dockerfile);
        return 0;
    }
    if (from_stdin) {
        read_all(STDIN_FILENO, df);
    } else if (bt_file_read(f->file, df, 0, &err) < 0) {
        bt_err_wrap(&err, "unable to open Dockerfile");
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    *dockerfile = random_name();
    b->src.extra_name = *dockerfile;
    b->src.extra_data = df->buf ? df->buf : "";
    b->src.extra_len = df->len;
    b->src.extra_mode = 0600;
    b->src.ignore_append = true;
    return 0;
}

/* Send the build and show its messages; writes the image ID for -q and --iidfile. */
static int run_build(struct berth_cli *cli, const struct build_flags *f, struct body *b,
                     const char *path)
{
    int rc = 0;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_err *err = NULL;
    if (b->src.dir || b->src.extra_name) {
        if (body_start(b, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    /* -q: docker keeps the progress and the build's output in buffers, the output is the ID */
    bt_autofree char *qbuf = NULL;
    size_t qlen = 0;
    FILE *quiet_out = f->quiet ? open_memstream(&qbuf, &qlen) : NULL;
    b->progress = f->quiet ? NULL : cli->out;
    bt_autofree char *id = NULL;
    struct jsonmsg m = {.out = f->quiet ? quiet_out : cli->out, .aux = aux_id, .aux_arg = &id};
    /* every stored registry credential, for FROM's pulls (berth's file, then docker's) */
    bt_autofree char *own = berth_config_file(cli);
    bt_autofree char *docker = auth_docker_config_file();
    const char *files[] = {own, docker};
    bt_autofree char *creds = auth_all_header(files, 2);
    bt_autofree char *config = bt_xasprintf("X-Registry-Config: %s", creds);
    const char *const headers[] = {config, NULL};
    struct cl_request req = {.method = "POST",
                             .path = path,
                             .content_type = "application/x-tar",
                             .headers = headers,
                             .source = body_source,
                             .source_arg = b,
                             .sink = jsonmsg_sink,
                             .sink_arg = &m};
    struct cl_response resp;
    rc = cl_call(c, &req, &resp, &err);
    if (rc >= 0)
        cl_response_clear(&resp);
    if (rc < 0 && b->err) {
        bt_err_free(err);
        err = b->err;
        b->err = NULL;
    }
    body_end(b);
    if (quiet_out)
        fclose(quiet_out);
    if (rc < 0) {
        jsonmsg_finish(&m, NULL);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    if (jsonmsg_finish(&m, &err) < 0) {
        if (f->quiet && qlen) {
            fwrite(qbuf, 1, qlen, cli->err);
        }
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    if (f->quiet) {
        fwrite(qbuf ? qbuf : "", 1, qlen, cli->out);
        fflush(cli->out);
        free(id);
        id = bt_xstrndup(qbuf ? qbuf : "", qlen);
    }
    if (f->iidfile) {
        if (!id || !*id)
            return fail_msg(cli, "Server did not provide an image ID. Cannot write %s", f->iidfile);
        if (bt_file_write_atomic(f->iidfile, id, strlen(id), 0644, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    return 0;
}

int berth_cmd_build(struct berth_cli *cli, int argc, char **argv)
{
    struct build_flags f = {
            .rm = true, .network = "default", .platform = getenv("DOCKER_DEFAULT_PLATFORM")};
    struct bt_flag flags[] = {
            {.name = "build-arg",
             .type = BT_FLAG_FUNC,
             .value = &f.build_args,
             .set = build_arg_set,
             .metavar = "list",
             .usage = "Set build-time variables"},
            {.name = "cache-from",
             .type = BT_FLAG_FUNC,
             .value = &f.cache_from,
             .set = cache_from_set,
             .metavar = "strings",
             .usage = "Images to consider as cache sources"},
            {.name = "compress",
             .type = BT_FLAG_BOOL,
             .value = &f.compress,
             .usage = "Compress the build context using gzip"},
            {.name = "file",
             .shorthand = 'f',
             .type = BT_FLAG_STRING,
             .value = &f.file,
             .usage = "Name of the Dockerfile (Default is \"PATH/Dockerfile\")"},
            {.name = "force-rm",
             .type = BT_FLAG_BOOL,
             .value = &f.force_rm,
             .usage = "Always remove intermediate containers"},
            {.name = "iidfile",
             .type = BT_FLAG_STRING,
             .value = &f.iidfile,
             .usage = "Write the image ID to the file"},
            {.name = "label",
             .type = BT_FLAG_FUNC,
             .value = &f.labels,
             .set = label_set,
             .metavar = "list",
             .usage = "Set metadata for an image"},
            {.name = "network",
             .type = BT_FLAG_STRING,
             .value = &f.network,
             .def_text = "default",
             .usage = "Set the networking mode for the RUN instructions during build"},
            {.name = "no-cache",
             .type = BT_FLAG_BOOL,
             .value = &f.no_cache,
             .usage = "Do not use cache when building the image"},
            {.name = "platform",
             .type = BT_FLAG_STRING,
             .value = &f.platform,
             .usage = "Set platform if server is multi-platform capable"},
            {.name = "pull",
             .type = BT_FLAG_BOOL,
             .value = &f.pull,
             .usage = "Always attempt to pull a newer version of the image"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &f.quiet,
             .usage = "Suppress the build output and print image ID on success"},
            {.name = "rm",
             .type = BT_FLAG_BOOL,
             .value = &f.rm,
             .def_text = "true",
             .usage = "Remove intermediate containers after a successful build"},
            {.name = "tag",
             .shorthand = 't',
             .type = BT_FLAG_FUNC,
             .value = &f.tags,
             .set = tag_set,
             .metavar = "list",
             .usage = "Name and optionally a tag in the \"name:tag\" format"},
            {.name = "target",
             .type = BT_FLAG_STRING,
             .value = &f.target,
             .usage = "Set the target build stage to build."},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] PATH | URL | -", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Build an image from a Dockerfile",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 1, 1)) == 0)
        rc = -1;
    bt_autostrv char **tags = f.tags, **bargs = f.build_args, **labels = f.labels;
    bt_autostrv char **cache_from = f.cache_from;
    if (rc >= 0)
        return rc;
    const char *ctx = args[0];
    bool df_stdin = f.file && strcmp(f.file, "-") == 0;
    if (df_stdin && strcmp(ctx, "-") == 0)
        return fail_msg(cli, "invalid argument: can't use stdin for both build context and "
                             "dockerfile");
    if (f.iidfile && unlink(f.iidfile) < 0 && errno != ENOENT) {
        char why[128];
        return fail_msg(cli, "Removing image ID file: %s", bt_go_strerror(errno, why, sizeof(why)));
    }
    struct body b = {.pipe = {-1, -1}, .in_fd = -1};
    b.src.gzip = f.compress;
    bt_autostrbuf struct bt_strbuf data = BT_STRBUF_INIT;
    bt_autofree char *dockerfile = NULL;
    struct build_context bc = {0};
    struct stat st;
    if (strcmp(ctx, "-") == 0)
        rc = stdin_context(cli, &f, &b, &data, &dockerfile);
    else if (stat(ctx, &st) == 0)
        rc = dir_context(cli, ctx, &f, &b, &bc, &data, &dockerfile);
    else if (is_url(ctx))
        rc = fail_msg(cli, "unable to prepare context: %s: %s",
                      "remote build contexts are not supported", ctx);
    else
        rc = fail_msg(cli, "unable to prepare context: path \"%s\" not found", ctx);
    if (rc == 0) {
        bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
        struct build_query_opts q = {.tags = tags,
                                     .build_args = bargs,
                                     .labels = labels,
                                     .cache_from = cache_from,
                                     .dockerfile = dockerfile,
                                     .target = f.target,
                                     .network = f.network,
                                     .platform = f.platform,
                                     .no_cache = f.no_cache,
                                     .rm = f.rm,
                                     .force_rm = f.force_rm,
                                     .quiet = f.quiet,
                                     .pull = f.pull};
        build_query(&q, &path);
        rc = run_build(cli, &f, &b, bt_strbuf_str(&path));
    }
    build_context_clear(&bc);
    return rc;
}
