/* SPDX-License-Identifier: Apache-2.0 */
/* berth pull and berth push (image pull, image push): the docker CLI 28's runPull, runPush. */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/registry.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

/* The reference as both commands take it: ParseNormalizedNamed, "latest" added to a bare name
 * ("Using default tag: latest" unless quiet), no tag with --all-tags. */
static struct bt_ref *parse_remote(struct berth_cli *cli, const char *remote, bool all, bool quiet,
                                   bt_err **err)
{
    bt_autoptr(bt_ref) ref = bt_ref_parse(remote, err);
    if (!ref)
        return NULL;
    bool name_only = !ref->tag && !ref->digest;
    if (all && !name_only) {
        bt_err_set(err, BT_E_INVALID, "tag can't be used with --all-tags/-a");
        return NULL;
    }
    if (!all && name_only) {
        ref->tag = bt_xstrdup("latest");
        if (!quiet) {
            fprintf(cli->out, "Using default tag: latest\n");
            fflush(cli->out);
        }
    }
    return bt_steal_ptr(&ref);
}

int berth_cmd_pull(struct berth_cli *cli, int argc, char **argv)
{
    bool all = false, quiet = false, no_trust = true;
    const char *platform = getenv("DOCKER_DEFAULT_PLATFORM");
    struct bt_flag flags[] = {
            {.name = "all-tags",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &all,
             .usage = "Download all tagged images in the repository"},
            {.name = "disable-content-trust",
             .type = BT_FLAG_BOOL,
             .value = &no_trust,
             .usage = "Skip image verification",
             .def_text = "true"},
            {.name = "platform",
             .type = BT_FLAG_STRING,
             .value = &platform,
             .usage = "Set platform if server is multi-platform capable",
             .def_text = platform && *platform ? platform : NULL},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Suppress verbose output"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] NAME[:TAG|@DIGEST]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Download an image from a registry",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 1)) != 0)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(bt_ref) ref = parse_remote(cli, args[0], all, quiet, &err);
    if (!ref)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    struct berth_pull_opts o = {.platform = platform,
                                .all_tags = all,
                                .out = quiet ? NULL : cli->out,
                                .privileged = true};
    if (berth_pull(cli, c, ref, &o, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    /* the whole reference, even with -q: "docker.io/library/busybox:latest" */
    bt_autofree char *full = bt_ref_string(ref);
    fprintf(cli->out, "%s\n", full);
    return 0;
}

/* ---- push ---- */

static const char note_index[] =
        "Not all multiplatform-content is present and only the available single-platform image "
        "was pushed\n\x1b[31m%s\x1b[0m -> \x1b[32m%s\x1b[0m";
/* sic: the docker CLI's text, with its tabs */
static const char note_missing[] =
        "You're trying to push a manifest list/index which \n\t\t\t\treferences multiple "
        "platform specific manifests, but not all of them are available locally\n\t\t\t\tor "
        "available to the remote repository.\n\n\t\t\t\tMake sure you have all the "
        "referenced content and try again.\n\n\t\t\t\tYou can also push only a single "
        "platform specific manifest directly by specifying the platform you want to push "
        "with the --platform flag.";

/* push's handleAux: the notes printed after the stream (the rest of aux, the pushed digest,
 * is for content trust, which berth does not do) */
static void push_aux(void *arg, const json_t *aux)
{
    struct bt_strbuf *notes = arg;
    if (bt_json_get_bool(aux, "manifestPushedInsteadOfIndex", false)) {
        bt_strbuf_appendf(notes, note_index,
                          bt_json_get_str(bt_json_get_obj(aux, "originalIndex"), "digest", ""),
                          bt_json_get_str(bt_json_get_obj(aux, "selectedManifest"), "digest", ""));
        bt_strbuf_append_c(notes, '\0');
    }
    if (bt_json_get_bool(aux, "contentMissing", false)) {
        bt_strbuf_append(notes, note_missing);
        bt_strbuf_append_c(notes, '\0');
    }
}

/* "/images/<name>/push" as Go's url.URL writes the path: the name's [ and ] escaped */
static char *push_path(const struct bt_ref *ref, bool all)
{
    bt_autofree char *name = bt_ref_name(ref);
    struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/images/");
    for (const char *p = name; *p; p++) {
        if (*p == '[' || *p == ']')
            bt_strbuf_appendf(&path, "%%%02X", (unsigned char)*p);
        else
            bt_strbuf_append_c(&path, *p);
    }
    bt_strbuf_append(&path, "/push");
    if (!all)
        berth_query(&path, "tag", ref->tag);
    return bt_strbuf_steal(&path);
}

static int push(struct berth_cli *cli, const char *remote, bool all, bool quiet)
{
    bt_err *err = NULL;
    bt_autoptr(bt_ref) ref = parse_remote(cli, remote, all, quiet, &err);
    if (!ref)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (ref->digest) {
        fprintf(cli->err, "cannot push a digest reference\n");
        return BERTH_EXIT_FAIL;
    }
    int rc = 0;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autofree char *path = push_path(ref, all);
    bt_autostrbuf struct bt_strbuf notes = BT_STRBUF_INIT;
    struct berth_registry_call call = {.path = path,
                                       .ref = ref,
                                       .out = quiet ? NULL : cli->out,
                                       .privileged = "push",
                                       .aux = push_aux,
                                       .aux_arg = &notes};
    rc = berth_registry_post(cli, c, &call, &err);
    if (rc == 0 && quiet) {
        bt_autofree char *full = bt_ref_string(ref);
        fprintf(cli->out, "%s\n", full);
    }
    /* the notes come after the stream, error or not (runPush's deferred PrintNote) */
    for (size_t off = 0; off < notes.len; off += strlen(notes.buf + off) + 1)
        berth_print_note(cli->out, notes.buf + off);
    if (rc < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return 0;
}

int berth_cmd_push(struct berth_cli *cli, int argc, char **argv)
{
    bool all = false, quiet = false, no_trust = true;
    const char *platform = NULL;
    struct bt_flag flags[] = {
            {.name = "all-tags",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &all,
             .usage = "Push all tags of an image to the repository"},
            {.name = "disable-content-trust",
             .type = BT_FLAG_BOOL,
             .value = &no_trust,
             .usage = "Skip image signing",
             .def_text = "true"},
            {.name = "platform",
             .type = BT_FLAG_STRING,
             .value = &platform,
             .usage = "Push a platform-specific manifest as a single-platform image to the "
                      "registry.\nImage index won't be pushed, meaning that other manifests, "
                      "including attestations won't be preserved.\n'os[/arch[/variant]]': "
                      "Explicit platform (eg. linux/amd64)"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Suppress verbose output"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] NAME[:TAG]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Upload an image to a registry",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 1)) != 0)
        return rc;
    if (bt_flags_find(&fs, "platform")->changed) {
        /* the flag's "version" annotation: cobra refuses it below API 1.46, and berth speaks
         * at most 1.41 */
        struct cl_client *c = berth_need_client(cli, &rc);
        if (!c)
            return rc;
        bt_err *err = NULL;
        if (cl_negotiate(c, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        fprintf(cli->err,
                "\"--platform\" requires API version 1.46, but the Docker daemon API version is "
                "%s\n",
                cl_api_version(c));
        return BERTH_EXIT_FAIL;
    }
    return push(cli, args[0], all, quiet);
}
