/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Templates: any input either fails to parse with a message or parses to a template that
 * executes on a fixed document (as structs, as maps with missingkey=error, and as a table
 * header) to output or an error with a message, within the output cap. Parsing, printing of
 * every node and execution must stay free of memory errors and undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/format/list.h"
#include "host/format/template.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char doc_text[] =
        "{\"Id\":\"4a2f\",\"Name\":\"/web\",\"Pid\":42,\"Ratio\":1.5,\"Big\":1e21,"
        "\"Running\":true,\"Paused\":false,\"Nothing\":null,\"Empty\":\"\","
        "\"Args\":[\"-c\",\"echo hi\",\"\"],\"Mixed\":[1,\"a\",null,2.5,true,[1,2],{\"k\":\"v\"}],"
        "\"State\":{\"Status\":\"running\",\"ExitCode\":0,\"Health\":null},"
        "\"Config\":{\"Labels\":{\"b\":\"2\",\"a\":\"1\",\"c.d\":\"x y\"},\"Env\":[\"A=1\"],"
        "\"Cmd\":null},\"Mounts\":[{\"Source\":\"/s\",\"RW\":true},{\"Source\":\"/t\"}]}";

static const struct fmt_type types[] = {
        {"", "types.ContainerJSON"},
        {"Config", "*container.Config"},
        {"Config.Labels", "map[string]string"},
        {"Config.Cmd", "[]string"},
        {"Mounts", "[]types.MountPoint"},
        {NULL, NULL},
};

static int method(void *ctx, const char *name, const char *path, const json_t *recv,
                  const json_t *const *args, size_t nargs, json_t **result, bt_err **err)
{
    if (strcmp(name, "Label") != 0)
        return 0;
    if (nargs != 1 || !json_is_string(args[0]))
        return bt_err_set(err, BT_E_INVALID, "wrong number of args for Label: want 1 got %zu",
                          nargs);
    *result = json_string("label");
    return 1;
}

static void run(const struct fmt_template *t, const json_t *doc, const struct fmt_exec_opts *o)
{
    struct bt_strbuf out = BT_STRBUF_INIT;
    bt_err *err = NULL;
    int rc = fmt_template_exec(t, doc, o, &out, &err);
    if ((rc < 0) != (err != NULL) || (err && !*bt_err_msg(err)))
        abort();
    if (out.len > o->max_output)
        abort();
    bt_err_free(err);
    bt_strbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *doc;
    if (!doc)
        doc = bt_json_parse(doc_text, strlen(doc_text), NULL);
    if (size > 8192)
        return 0;
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(fmt_template) t = fmt_template_parse_n((const char *)data, size, &err);
    if (!t) {
        if (!err || strncmp(bt_err_msg(err), "template: :", 11) != 0)
            abort(); /* a failure always says where, as Go's do */
        return 0;
    }
    /* a step budget well under the default: four runs of an input that loops until the
     * budget stops it must stay far inside libFuzzer's timeout on a loaded CI machine */
    enum { STEPS = 100000 };
    struct fmt_exec_opts typed = {
            .types = types, .method = method, .max_output = 1 << 16, .max_steps = STEPS};
    struct fmt_exec_opts maps = {.objects_are_maps = true,
                                 .missing_key_error = true,
                                 .max_output = 1 << 16,
                                 .max_steps = STEPS};
    struct fmt_exec_opts header = {.header = true, .max_output = 1 << 16, .max_steps = STEPS};
    run(t, doc, &typed);
    run(t, doc, &maps);
    run(t, json_object_get(doc, "Config"), &header);
    run(t, NULL, &maps);
    return 0;
}
