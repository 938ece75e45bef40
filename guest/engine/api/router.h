/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Request routing for the Docker Engine API: strips the optional "/vX.Y" prefix, checks the
 * version, and finds the route for a method and path. Pure functions of their input (no
 * HTTP, no I/O): unit tested and fuzzed on their own.
 *
 * Route patterns are paths with parameters: "/containers/{id}/start" matches one path element,
 * "/images/{name*}/json" matches one or more elements (image names hold slashes:
 * "localhost:5000/app"), as dockerd's {name:.*} does.
 */
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/err.h"

/* The API version berthd serves, and the oldest it accepts (as dockerd 20.10). */
#define API_VERSION_MAJOR      1
#define API_VERSION_MINOR      41
#define API_VERSION_STRING     "1.41"
#define API_MIN_VERSION_STRING "1.12"

#define API_MAX_PARAMS 4

struct api_route;

struct api_match {
    const struct api_route *route;
    /* the request's API version: 1.41 when the path has no prefix */
    int version_major, version_minor;
    size_t nparams;
    /* parameter values, as pointers into a copy the match owns */
    const char *params[API_MAX_PARAMS];
    char *storage;
};

/* A route table entry; handler is opaque here (the server casts it). */
struct api_route {
    const char *method; /* "GET", "POST", "DELETE", "HEAD", or "*" */
    const char *pattern;
    void *handler;
    unsigned flags; /* server-defined (streaming body, hijack, ...) */
};

/* Match method+path against routes (ending with a NULL pattern). Errors, in dockerd's words
 * and codes: an unknown path, or a known one with another method, is BT_E_NOT_FOUND "page not
 * found"; a version above ours is BT_E_INVALID "client version 1.50 is too new. Maximum
 * supported API version is 1.41"; below the minimum, BT_E_INVALID "client version 1.11 is too
 * old. Minimum supported API version is 1.12, please upgrade your client to a newer version";
 * a malformed prefix ("/vX/") is an unknown path. HEAD also matches GET routes. */
int api_route_match(const struct api_route *routes, const char *method, const char *path,
                    struct api_match *m, bt_err **err);

void api_match_clear(struct api_match *m);

/* Compare versions: <0, 0, >0 as a.b is below, equal to, above c.d. */
int api_version_cmp(int a, int b, int c, int d);
