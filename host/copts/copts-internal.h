/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* What the files of host/copts share and the rest of berth has no use for. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "host/copts/copts.h"
#include "shared/base/strbuf.h"

/* net.IP.String(): dotted for IPv4 (and IPv4-mapped), RFC 5952 for IPv6. The caller frees. */
char *copts_ip_string(const unsigned char ip[16]);

/* A copy of obj with its members in byte order of their keys, as encoding/json writes a Go
 * map (values shared, not copied). */
json_t *copts_sorted_object(const json_t *obj);

/* Flag setters of the validated lists (value: json_t ** array, made on first use). */
int copts_flag_ip(void *value, const char *arg, bt_err **err);         /* --dns */
int copts_flag_dns_search(void *value, const char *arg, bt_err **err); /* --dns-search */
int copts_flag_add_host(void *value, const char *arg, bt_err **err);   /* --add-host */

/* HostConfig.NetworkMode (*mode), NetworkingConfig.EndpointsConfig (returned, keys sorted) and
 * Config.MacAddress (*mac, "" for none), from --network and the endpoint flags; *mode and
 * *mac are new strings. NULL with the docker CLI's error ("network-scoped aliases are only
 * supported for user-defined networks", ...). */
json_t *copts_networking(const struct copts *o, char **mode, char **mac, bt_err **err);
