/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where blobs are known to be (dockerd's v2 metadata, reduced): for each blob digest, the
 * repositories ("host/path") it was pulled from or pushed to, one per line in
 * <state_dir>/sources/<hex>. A push of a blob the target repository lacks first asks the
 * registry to mount it from one of those on the same host. Best effort: a lost or stale entry
 * only costs an upload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/registry/registry-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"

#define MAX_SOURCES 16

static pthread_mutex_t sources_mu = PTHREAD_MUTEX_INITIALIZER;

static char *sources_path(const struct registry *r, const char *digest)
{
    const char *hex = strchr(digest, ':');
    return r->state_dir && hex ? bt_xasprintf("%s/sources/%s", r->state_dir, hex + 1) : NULL;
}

static char **read_sources(const char *path)
{
    char **out = bt_xzalloc(sizeof(char *));
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (!path || bt_file_read(path, &sb, 1 << 16, NULL) < 0 || !sb.buf)
        return out;
    for (char *line = strtok(sb.buf, "\n"); line; line = strtok(NULL, "\n"))
        if (*line)
            bt_strv_push(&out, line);
    return out;
}

void reg_source_add(const struct registry *r, const char *digest, const char *host,
                    const char *path)
{
    bt_autofree char *file = sources_path(r, digest);
    if (!file)
        return;
    bt_autofree char *entry = bt_xasprintf("%s/%s", host, path);
    pthread_mutex_lock(&sources_mu);
    bt_autostrv char **have = read_sources(file);
    bool known = false;
    for (size_t i = 0; have[i]; i++)
        known |= strcmp(have[i], entry) == 0;
    if (!known) {
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        bt_strbuf_appendf(&sb, "%s\n", entry);
        /* the newest first, a few kept */
        for (size_t i = 0; have[i] && i + 1 < MAX_SOURCES; i++)
            bt_strbuf_appendf(&sb, "%s\n", have[i]);
        bt_autofree char *dir = bt_xasprintf("%s/sources", r->state_dir);
        bt_mkdir_p(dir, 0700, NULL);
        bt_file_write_atomic_flags(file, sb.buf, sb.len, 0600, BT_FILE_NO_SYNC, NULL);
    }
    pthread_mutex_unlock(&sources_mu);
}

char **reg_sources_on(const struct registry *r, const char *digest, const char *host,
                      const char *except_path)
{
    bt_autofree char *file = sources_path(r, digest);
    pthread_mutex_lock(&sources_mu);
    bt_autostrv char **have = read_sources(file);
    pthread_mutex_unlock(&sources_mu);
    char **out = bt_xzalloc(sizeof(char *));
    size_t hl = strlen(host);
    for (size_t i = 0; have[i]; i++)
        if (strncmp(have[i], host, hl) == 0 && have[i][hl] == '/' &&
            strcmp(have[i] + hl + 1, except_path) != 0)
            bt_strv_push(&out, have[i] + hl + 1);
    return out;
}
