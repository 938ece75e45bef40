/* SPDX-License-Identifier: Apache-2.0 */
/* berth import, save, export and load: tar streams to and from the engine. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/jsonmsg.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/flags/flags.h"
#include "shared/reference/reference.h"

static ssize_t fd_source(void *arg, char *buf, size_t len)
{
    int fd = *(int *)arg;
    ssize_t n;
    do {
        n = read(fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n;
}

static int fd_sink(void *arg, const char *data, size_t len)
{
    int fd = *(int *)arg;
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* command.ValidateOutputPath of the docker CLI 28: the directory must be there, and an existing
 * output no character device. False after printing docker's words ("failed to save image: "). */
static bool output_ok(struct berth_cli *cli, const char *output, const char *what)
{
    bt_autofree char *clean = bt_path_clean(output);
    char *slash = strrchr(clean, '/');
    if (slash)
        slash[slash == clean ? 1 : 0] = '\0'; /* filepath.Dir: "/x" is in "/" */
    struct stat st;
    char why[128];
    if (slash && stat(clean, &st) < 0) {
        fprintf(cli->err, "failed to %s: invalid output path: stat %s: %s\n", what, clean,
                bt_go_strerror(errno, why, sizeof(why)));
        return false;
    }
    if (stat(output, &st) == 0 && S_ISCHR(st.st_mode)) {
        fprintf(cli->err, "failed to %s: cannot write to a character device file\n", what);
        return false;
    }
    return true;
}

/* GET path into output (a temporary file next to it, renamed when complete, as docker does) or
 * stdout; what names the step in docker's messages ("save image"). */
static int get_to_file(struct berth_cli *cli, const char *path, const char *output,
                       const char *what)
{
    int rc;
    if (output && !output_ok(cli, output, what))
        return BERTH_EXIT_FAIL;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autofree char *tmp = output ? bt_xasprintf("%s.berth-save-XXXXXX", output) : NULL;
    int fd = output ? mkstemp(tmp) : dup(STDOUT_FILENO);
    if (fd < 0) {
        fprintf(cli->err, "failed to %s: invalid output path: %s\n", what, strerror(errno));
        return BERTH_EXIT_FAIL;
    }
    struct cl_request req = {.method = "GET", .path = path, .sink = fd_sink, .sink_arg = &fd};
    struct cl_response resp;
    bt_err *err = NULL;
    rc = cl_call(c, &req, &resp, &err);
    close(fd);
    if (rc < 0) {
        if (tmp)
            unlink(tmp);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    cl_response_clear(&resp);
    if (tmp && rename(tmp, output) < 0) {
        fprintf(cli->err, "failed to %s: %s\n", what, strerror(errno));
        unlink(tmp);
        return BERTH_EXIT_FAIL;
    }
    return 0;
}

/* POST a tar from fd to path, showing the engine's messages on out. */
static int post_tar(struct berth_cli *cli, struct cl_client *c, const char *path, int fd, FILE *out)
{
    struct jsonmsg m = {.out = out};
    struct cl_request req = {.method = "POST",
                             .path = path,
                             .content_type = "application/x-tar",
                             .source = fd_source,
                             .source_arg = &fd,
                             .sink = jsonmsg_sink,
                             .sink_arg = &m};
    if (fd < 0)
        req.source = NULL;
    struct cl_response resp;
    bt_err *err = NULL;
    if (cl_call(c, &req, &resp, &err) < 0) {
        jsonmsg_finish(&m, NULL);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    cl_response_clear(&resp);
    if (jsonmsg_finish(&m, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return 0;
}

int berth_cmd_import(struct berth_cli *cli, int argc, char **argv)
{
    const char **changes = NULL;
    const char *message = NULL, *platform = NULL;
    struct bt_flag flags[] = {
            {.name = "change",
             .shorthand = 'c',
             .type = BT_FLAG_STRINGS,
             .value = &changes,
             .usage = "Apply Dockerfile instruction to the created image",
             .metavar = "list"},
            {.name = "message",
             .shorthand = 'm',
             .type = BT_FLAG_STRING,
             .value = &message,
             .usage = "Set commit message for imported image"},
            {.name = "platform",
             .type = BT_FLAG_STRING,
             .value = &platform,
             .usage = "Set platform if server is multi-platform capable"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] file|URL|- [REPOSITORY[:TAG]]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Import the contents from a tarball to create a "
                                           "filesystem image",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 1, 2)) == 0)
        rc = -1;
    if (rc >= 0) {
        free(changes);
        return rc;
    }
    bt_err *err = NULL;
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    const char *src = args[0];
    bool url = strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0;
    bt_strbuf_append(&path, "/images/create");
    berth_query(&path, "fromSrc", url ? src : "-");
    if (message)
        berth_query(&path, "message", message);
    if (platform)
        berth_query(&path, "platform", platform);
    if (args[1]) {
        bt_autoptr(bt_ref) r = bt_ref_parse(args[1], &err);
        if (!r) {
            free(changes);
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        }
        bt_autofree char *name = bt_ref_familiar_name(r);
        berth_query(&path, "repo", name);
        if (r->tag)
            berth_query(&path, "tag", r->tag);
    }
    for (const char **ch = changes; ch && *ch; ch++)
        berth_query(&path, "changes", *ch);
    free(changes);
    bt_autoclose int fd = -1;
    if (!url) {
        if (strcmp(src, "-") == 0) {
            fd = dup(STDIN_FILENO);
        } else {
            fd = open(src, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                char why[128];
                fprintf(cli->err, "open %s: %s\n", src, bt_go_strerror(errno, why, sizeof(why)));
                return BERTH_EXIT_FAIL;
            }
        }
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    return post_tar(cli, c, bt_strbuf_str(&path), fd, cli->out);
}

int berth_cmd_load(struct berth_cli *cli, int argc, char **argv)
{
    const char *input = NULL;
    bool quiet = false;
    struct bt_flag flags[] = {
            {.name = "input",
             .shorthand = 'i',
             .type = BT_FLAG_STRING,
             .value = &input,
             .usage = "Read from tar archive file, instead of STDIN"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Suppress the load output"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Load an image from a tar archive or STDIN",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) != 0)
        return rc;
    bt_autoclose int fd = -1;
    if (input) {
        fd = open(input, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            char why[128];
            fprintf(cli->err, "open %s: %s\n", input, bt_go_strerror(errno, why, sizeof(why)));
            return BERTH_EXIT_FAIL;
        }
    } else {
        if (isatty(STDIN_FILENO)) {
            fprintf(cli->err, "requested load from stdin, but stdin is empty\n");
            return BERTH_EXIT_FAIL;
        }
        fd = dup(STDIN_FILENO);
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    return post_tar(cli, c, quiet ? "/images/load?quiet=1" : "/images/load", fd,
                    quiet ? NULL : cli->out);
}

int berth_cmd_save(struct berth_cli *cli, int argc, char **argv)
{
    const char *output = NULL, *platform = NULL;
    struct bt_flag flags[] = {
            {.name = "output",
             .shorthand = 'o',
             .type = BT_FLAG_STRING,
             .value = &output,
             .usage = "Write to a file, instead of STDOUT"},
            {.name = "platform",
             .type = BT_FLAG_STRING,
             .value = &platform,
             .usage = "Save only the given platform variant"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] IMAGE [IMAGE...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Save one or more images to a tar archive (streamed "
                                           "to STDOUT by default)",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    if (!output && isatty(STDOUT_FILENO)) {
        fprintf(cli->err, "cowardly refusing to save to a terminal. Use the -o flag or "
                          "redirect\n");
        return BERTH_EXIT_FAIL;
    }
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/images/get");
    for (char **a = args; *a; a++)
        berth_query(&path, "names", *a);
    if (platform)
        berth_query(&path, "platform", platform);
    return get_to_file(cli, bt_strbuf_str(&path), output, "save image");
}

int berth_cmd_export(struct berth_cli *cli, int argc, char **argv)
{
    const char *output = NULL;
    struct bt_flag flags[] = {
            {.name = "output",
             .shorthand = 'o',
             .type = BT_FLAG_STRING,
             .value = &output,
             .usage = "Write to a file, instead of STDOUT"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] CONTAINER", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Export a container's filesystem as a tar archive",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 1)) != 0)
        return rc;
    if (!output && isatty(STDOUT_FILENO)) {
        fprintf(cli->err, "cowardly refusing to save to a terminal. Use the -o flag or "
                          "redirect\n");
        return BERTH_EXIT_FAIL;
    }
    bt_autofree char *name = berth_escape(args[0]);
    bt_autofree char *path = bt_xasprintf("/containers/%s/export", name);
    return get_to_file(cli, path, output, "export container");
}
