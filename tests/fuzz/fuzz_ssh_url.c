/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ssh:// URLs (DOCKER_HOST, -H): any input either fails with a message or parses to a URL
 * with a host and a port in range, whose remote command quotes to a shell line whenever the
 * path is printable. Shell quoting of the raw input must not crash either.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/transport/transport.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    bt_autofree char *s = bt_xstrndup((const char *)data, size);
    bt_autoerr bt_err *err = NULL;
    struct tp_ssh_url u;
    if (tp_ssh_url_parse(s, &u, &err) < 0) {
        if (!err || strncmp(bt_err_msg(err), "invalid SSH URL: ", 17) != 0 || u.host)
            abort(); /* a failure always says why, in docker's words, and leaves nothing */
    } else {
        if (!u.host || !u.host[0] || u.port < 0 || u.port > 65535 || !u.path ||
            (u.user && !u.user[0]))
            abort();
        bt_autostrv char **argv = tp_ssh_url_command(&u);
        if (!argv || !argv[0] || strcmp(argv[0], "berthd") != 0)
            abort();
        bt_autoerr bt_err *qerr = NULL;
        bt_autofree char *line = tp_shell_join((const char *const *)argv, &qerr);
        if (!line && !qerr)
            abort();
        tp_ssh_url_free(&u);
    }
    bt_autoerr bt_err *qerr = NULL;
    bt_autofree char *q = tp_shell_quote(s, &qerr);
    if (!q && !qerr)
        abort();
    /* a quoted word never leaves a single quote open */
    if (q && q[0] == '\'' && (strlen(q) < 2 || q[strlen(q) - 1] != '\''))
        abort();
    return 0;
}
