/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The TLS module's one symbol: `berth_client_tls_module`, looked up by module-load.c with
 * dlsym() in lib/berth/client-tls.so next to the berth binary. The ABI number changes whenever
 * struct cl_conn or this struct does, so a stale module is refused instead of misused.
 */
#include "host/client/client-internal.h"

#define CL_TLS_MODULE_ABI 2

struct cl_tls_module {
    int abi;
    /* TLS handshake over the connected fd (taken over, closed on failure). */
    struct cl_conn *(*connect)(int fd, const struct cl_endpoint *ep, bt_err **err);
    /* Load the endpoint's files as connect would; errors in the docker CLI's words. */
    int (*check)(const struct cl_endpoint *ep, bt_err **err);
};
