/* SPDX-License-Identifier: Apache-2.0 */
/* The route table: every endpoint berthd serves, in the order they are tried. */
#include "guest/engine/api/api-internal.h"

#define R(m, p, h)           \
    {                        \
        m, p, (void *)(h), 0 \
    }
#define RS(m, p, h)                              \
    {                                            \
        m, p, (void *)(h), API_ROUTE_STREAM_BODY \
    }

const struct api_route api_routes[] = {
        R("GET", "/_ping", api_ping),
        R("GET", "/version", api_version_handler),
        R("GET", "/info", api_info),
        R("GET", "/events", api_events),
        R("GET", "/system/df", api_system_df),

        R("POST", "/containers/create", api_container_create),
        R("GET", "/containers/json", api_container_list),
        R("POST", "/containers/prune", api_container_prune),
        R("POST", "/commit", api_commit),
        R("GET", "/containers/{id}/json", api_container_inspect),
        R("POST", "/containers/{id}/start", api_container_start),
        R("POST", "/containers/{id}/stop", api_container_stop),
        R("POST", "/containers/{id}/restart", api_container_restart),
        R("POST", "/containers/{id}/kill", api_container_kill),
        R("POST", "/containers/{id}/pause", api_container_pause),
        R("POST", "/containers/{id}/unpause", api_container_unpause),
        R("POST", "/containers/{id}/wait", api_container_wait),
        R("POST", "/containers/{id}/rename", api_container_rename),
        R("POST", "/containers/{id}/resize", api_container_resize),
        R("POST", "/containers/{id}/attach", api_container_attach),
        R("GET", "/containers/{id}/logs", api_container_logs),
        R("GET", "/containers/{id}/top", api_container_top),
        R("GET", "/containers/{id}/stats", api_container_stats),
        R("POST", "/containers/{id}/exec", api_exec_create),
        /* HEAD first: the router lets HEAD match GET routes too */
        R("HEAD", "/containers/{id}/archive", api_container_archive_stat),
        R("GET", "/containers/{id}/archive", api_container_archive_get),
        RS("PUT", "/containers/{id}/archive", api_container_archive_put),
        R("GET", "/containers/{id}/export", api_container_export),
        R("GET", "/containers/{id}/changes", api_container_changes),
        R("POST", "/containers/{id}/update", api_container_update),
        R("DELETE", "/containers/{id}", api_container_delete),

        R("POST", "/volumes/create", api_volume_create),
        R("POST", "/volumes/prune", api_volume_prune),
        R("GET", "/volumes", api_volume_list),
        R("GET", "/volumes/{name}", api_volume_inspect),
        R("DELETE", "/volumes/{name}", api_volume_delete),

        R("POST", "/networks/create", api_network_create),
        R("POST", "/networks/prune", api_network_prune),
        R("GET", "/networks", api_network_list),
        R("GET", "/networks/{id}", api_network_inspect),
        R("DELETE", "/networks/{id}", api_network_delete),
        R("POST", "/networks/{id}/connect", api_network_connect),
        R("POST", "/networks/{id}/disconnect", api_network_disconnect),

        R("POST", "/exec/{id}/start", api_exec_start),
        R("POST", "/exec/{id}/resize", api_exec_resize),
        R("GET", "/exec/{id}/json", api_exec_inspect),

        RS("POST", "/build", api_build),
        R("POST", "/build/prune", api_build_prune),
        RS("POST", "/images/create", api_image_create),
        RS("POST", "/images/load", api_image_load),
        R("GET", "/images/json", api_image_list),
        R("POST", "/images/prune", api_image_prune),
        R("GET", "/images/get", api_image_save),
        R("GET", "/images/search", api_image_search),
        R("GET", "/images/{name*}/json", api_image_inspect),
        R("GET", "/images/{name*}/history", api_image_history),
        R("GET", "/images/{name*}/get", api_image_save_one),
        R("POST", "/images/{name*}/tag", api_image_tag),
        R("POST", "/images/{name*}/push", api_image_push),
        R("POST", "/auth", api_auth),
        R("DELETE", "/images/{name*}", api_image_delete),
        {NULL, NULL, NULL, 0},
};
