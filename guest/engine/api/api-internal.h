/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared by the handler files of api/; not for other modules. */
#include <stdint.h>
#include <sys/types.h>

#include "guest/engine/api/api.h"
#include "guest/engine/api/filters.h"

/* go-units' HumanDuration ("Less than a second", "5 seconds", "About a minute", ...) */
void api_human_duration(int64_t seconds, char *out, size_t size);
/* RFC 3339 -> Unix seconds (0 for Go's zero time or junk) */
int64_t api_parse_time(const char *rfc3339);
/* docker top: run ps with args and keep the rows of pids: {"Titles":[...],"Processes":[[...]]} */
json_t *api_top_table(const char *ps_args, const pid_t *pids, size_t n, bt_err **err);

/* GET /events */
void api_events(struct api_call *call);

/* containers */
void api_container_create(struct api_call *call);
void api_container_list(struct api_call *call);
void api_container_inspect(struct api_call *call);
void api_container_start(struct api_call *call);
void api_container_stop(struct api_call *call);
void api_container_restart(struct api_call *call);
void api_container_kill(struct api_call *call);
void api_container_pause(struct api_call *call);
void api_container_unpause(struct api_call *call);
void api_container_wait(struct api_call *call);
void api_container_delete(struct api_call *call);
void api_container_rename(struct api_call *call);
void api_commit(struct api_call *call);
void api_container_prune(struct api_call *call);
void api_container_resize(struct api_call *call);
void api_container_attach(struct api_call *call);
void api_container_logs(struct api_call *call);
void api_container_top(struct api_call *call);
void api_container_stats(struct api_call *call);
/* For /system/df: every container as GET /containers/json?all=1&size=1 lists it. */
json_t *api_container_list_df(struct api_call *call);

/* networks */
void api_network_list(struct api_call *call);
void api_network_inspect(struct api_call *call);
void api_network_create(struct api_call *call);
void api_network_delete(struct api_call *call);
void api_network_connect(struct api_call *call);
void api_network_disconnect(struct api_call *call);
void api_network_prune(struct api_call *call);

/* archive (docker cp) */
void api_container_archive_stat(struct api_call *call);
void api_container_archive_get(struct api_call *call);
void api_container_export(struct api_call *call);
void api_container_changes(struct api_call *call);
void api_container_update(struct api_call *call);
void api_container_archive_put(struct api_call *call);

/* exec */
void api_volume_create(struct api_call *call);
void api_volume_list(struct api_call *call);
void api_volume_inspect(struct api_call *call);
void api_volume_delete(struct api_call *call);
void api_volume_prune(struct api_call *call);

void api_exec_create(struct api_call *call);
void api_exec_start(struct api_call *call);
void api_exec_resize(struct api_call *call);
void api_exec_inspect(struct api_call *call);

/* images */
void api_image_create(struct api_call *call);
void api_image_pull(struct api_call *call, const char *from_image);
/* A producer's JSON message on its stream (fdp: the int fd), a line ended by \r\n as dockerd's
 * jsonmessage stream; and an error as the last one ({"errorDetail": ..., "error": ...}). */
void api_stream_msg(const json_t *msg, void *fdp);
void api_stream_error(int fd, const bt_err *err);
void api_image_push(struct api_call *call);
void api_auth(struct api_call *call);
void api_image_search(struct api_call *call);
void api_image_list(struct api_call *call);
/* For /system/df: the images as GET /images/json lists them, with SharedSize and Containers. */
json_t *api_image_list_df(struct api_call *call, bt_err **err);
void api_image_inspect(struct api_call *call);
void api_image_history(struct api_call *call);
void api_image_tag(struct api_call *call);
void api_image_delete(struct api_call *call);
void api_image_prune(struct api_call *call);
void api_image_save(struct api_call *call);
void api_image_save_one(struct api_call *call);
void api_image_load(struct api_call *call);
