/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The SSH module's one symbol: `berth_client_ssh_module`, found by module-load.c in
 * lib/berth/client-ssh.so next to the berth binary (libssh2 and OpenSSL load only for ssh://).
 * The ABI number changes whenever struct cl_conn or this struct does.
 */
#include "host/client/client-internal.h"

#define CL_SSH_MODULE_ABI 2

struct cl_ssh_module {
    int abi;
    /* A connection to the engine through `ssh URL berthd dial-stdio`. */
    struct cl_conn *(*dial)(const struct cl_endpoint *ep, bt_err **err);
};
