/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The body of POST /networks/create as `docker network create` 28 sends it to an engine of
 * API 1.41: network.CreateRequest with CheckDuplicate, members in its order, IPAM made by the
 * docker CLI's createIPAMConfig (subnets, ranges, gateways and auxiliary addresses matched up,
 * with its checks and its words: "no matching subnet for gateway 10.0.0.1", "multiple
 * overlapping subnet configuration is not supported", ...). IPAM configurations come in the
 * order of --subnet (docker's follow Go's random map order).
 */
#include <stdbool.h>

#include <jansson.h>

#include "shared/base/err.h"

struct berth_network_create {
    const char *name, *driver, *scope, *ipam_driver, *config_from;
    bool internal, attachable, ingress, config_only;
    const bool *ipv4, *ipv6;                           /* NULL when the flag was not given */
    json_t *subnets, *ip_ranges, *gateways;            /* arrays of strings, or NULL */
    json_t *aux_addresses, *ipam_opts, *opts, *labels; /* objects of strings, or NULL */
};

/* The request body, or NULL with the docker CLI's error. */
json_t *berth_network_create_body(const struct berth_network_create *o, bt_err **err);
