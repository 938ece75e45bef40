/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The engine's events, as `docker events` shows them: one process-wide bus that any module
 * emits to (a container started, an image tagged, a volume mounted, a network connected) and
 * that the API's GET /events reads, replaying what it keeps and then waiting for more.
 *
 * An event is kept as the API sends it, Docker's JSON message:
 *   {"status": ACTION, "id": ID, "from": IMAGE,          (containers and images only)
 *    "Type": TYPE, "Action": ACTION, "Actor": {"ID": ID, "Attributes": {...}},
 *    "scope": "local", "time": SECONDS, "timeNano": NANOSECONDS}
 * TYPE is "container", "image", "volume", "network" or "daemon"; ACTION dockerd's word
 * ("create", "start", "die", "health_status: healthy", "exec_start: sh", "tag", "pull",
 * "mount", "connect", ...). For containers, Attributes hold "name", "image" and the
 * container's labels (and "exitCode" for die, "signal" for kill), as dockerd's do.
 *
 * The bus keeps the last EVENTS_KEEP events in memory (dockerd keeps 256 + those newer than its
 * log; a restarted berthd starts empty, as dockerd does). Each has a sequence number, 1 for the
 * first; readers follow them with events_wait.
 *
 * Thread safety: every function may be called from any thread.
 */
#include <jansson.h>
#include <stdint.h>

#define EVENTS_KEEP 1024

/* Emit an event. attrs: "key", "value" pairs ending with NULL (may be NULL); NULL values are
 * skipped. */
void events_emit(const char *type, const char *action, const char *actor_id,
                 const char *const *attrs);

/* Emit an event whose attributes are a JSON object of strings (stolen; may be NULL). */
void events_emit_json(const char *type, const char *action, const char *actor_id, json_t *attrs);

/* The sequence number of the newest event (0: none yet). */
uint64_t events_last_seq(void);

/* The kept events with a sequence number above *seq, oldest first, as a JSON array of the
 * events (new ref, the events shared: do not modify them). When there are none, waits up to
 * timeout_ms (0: not at all; -1: for ever) for one. *seq becomes the newest returned. Events
 * that fell out of the memory before they were read are skipped. */
json_t *events_wait(uint64_t *seq, int timeout_ms);

/* Drop every kept event (for tests). */
void events_reset(void);
