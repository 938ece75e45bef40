/* SPDX-License-Identifier: Apache-2.0 */
/* docker top: the host's ps, cut down to a container's processes (as dockerd does it). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/engine/api/api-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

extern char **environ;

static char *run_ps(const char *ps_args, bt_err **err)
{
    bt_autostrv char **argv = bt_xzalloc(sizeof(char *));
    bt_strv_push(&argv, "ps");
    bt_autofree char *copy = bt_xstrdup(ps_args);
    char *save = NULL;
    for (char *a = strtok_r(copy, " \t", &save); a; a = strtok_r(NULL, " \t", &save))
        bt_strv_push(&argv, a);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        bt_err_errno(err, errno, "pipe");
        return NULL;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        bt_err_errno(err, rc, "run ps");
        return NULL;
    }
    struct bt_strbuf out = BT_STRBUF_INIT;
    bt_fd_read_all(p[0], &out, 16 << 20, NULL);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        bt_err_set(err, BT_E_INTERNAL, "Error running ps: exit status %d: %s",
                   WIFEXITED(st) ? WEXITSTATUS(st) : 255, bt_strbuf_str(&out));
        bt_strbuf_free(&out);
        return NULL;
    }
    return bt_strbuf_steal(&out);
}

/* Split a ps line into at most n fields; the last takes the rest (commands have spaces). */
static json_t *split_fields(char *line, size_t n)
{
    json_t *a = json_array();
    char *p = line;
    for (size_t i = 0; i < n && *p; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (i == n - 1) {
            json_array_append_new(a, json_string(p));
            break;
        }
        char *end = p + strcspn(p, " \t");
        char saved = *end;
        *end = '\0';
        json_array_append_new(a, json_string(p));
        *end = saved;
        p = end;
    }
    return a;
}

json_t *api_top_table(const char *ps_args, const pid_t *pids, size_t n, bt_err **err)
{
    bt_autofree char *out = run_ps(ps_args, err);
    if (!out)
        return NULL;
    char *save = NULL;
    char *header = strtok_r(out, "\n", &save);
    if (!header) {
        bt_err_set(err, BT_E_INTERNAL, "Couldn't find PID field in ps output");
        return NULL;
    }
    json_t *titles = split_fields(header, 64);
    size_t pid_col = SIZE_MAX;
    for (size_t i = 0; i < json_array_size(titles); i++)
        if (strcmp(json_string_value(json_array_get(titles, i)), "PID") == 0)
            pid_col = i;
    if (pid_col == SIZE_MAX) {
        json_decref(titles);
        bt_err_set(err, BT_E_INTERNAL, "Couldn't find PID field in ps output");
        return NULL;
    }
    json_t *procs = json_array();
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *f = split_fields(line, json_array_size(titles));
        pid_t p = (pid_t)atoi(json_string_value(json_array_get(f, pid_col)) ?: "0");
        bool mine = false;
        for (size_t i = 0; i < n && !mine; i++)
            mine = pids[i] == p;
        if (mine)
            json_array_append_new(procs, f);
        else
            json_decref(f);
    }
    return json_pack("{s:o, s:o}", "Titles", titles, "Processes", procs);
}
