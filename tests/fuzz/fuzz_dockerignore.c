/* SPDX-License-Identifier: Apache-2.0 */
/*
 * .dockerignore: the input is a .dockerignore file, then a NUL byte, then paths one a line.
 * Any file either fails with a message or gives a matcher under which every path gets an answer
 * that does not depend on how the path is spelled ("a/b", "./a//b/"), and, when there is no
 * exception, an excluded directory excludes everything under it (for relative paths, which is
 * what a context walk gives: for "/a/x" patternmatcher tries the parents "" and "/a" but not
 * "/", so "/" excludes "/a" and not "/a/x", and Berth keeps that). Matching runs in time linear
 * in the path (the regexp kind is an NFA), which the fuzzer's timeout watches.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/dockerfile/ignore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const struct bt_ignore *m, const char *path)
{
    bool ex = bt_ignore_matches(m, path);
    bt_autofree char *dotted = bt_xasprintf("./%s/", path);
    if (*path && path[0] != '/' && bt_ignore_matches(m, dotted) != ex)
        abort();
    if (ex)
        (void)bt_ignore_must_walk(m, path);
    if (ex && !bt_ignore_has_exceptions(m) && path[0] != '/') {
        bt_autofree char *child = bt_xasprintf("%s/x", path);
        if (*path && !bt_ignore_matches(m, child))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 14)
        return 0;
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t flen = nul ? (size_t)(nul - text) : size;
    bt_err *err = NULL;
    struct bt_ignore *m = bt_ignore_parse(text, flen, &err);
    if (!m) {
        if (!err || !*bt_err_msg(err))
            abort();
        bt_err_free(err);
        return 0;
    }
    for (size_t i = 0; i < bt_ignore_count(m); i++)
        if (!bt_ignore_pattern(m, i, NULL))
            abort();
    if (nul) {
        bt_autofree char *paths = bt_xstrndup(nul + 1, size - flen - 1);
        for (char *save = NULL, *p = strtok_r(paths, "\n", &save); p;
             p = strtok_r(NULL, "\n", &save))
            check_path(m, p);
    }
    bt_ignore_free(m);
    return 0;
}
