/* SPDX-License-Identifier: Apache-2.0 */
/* ssh:// endpoints: the SSH transport (host/transport, libssh2) comes in a module of its own. */
#include "host/client/client-internal.h"

int cl_ssh_dial(const struct cl_endpoint *ep, bt_err **err)
{
    return bt_err_set(err, BT_E_UNSUPPORTED, "ssh:// engines are not supported yet: %s", ep->url);
}
