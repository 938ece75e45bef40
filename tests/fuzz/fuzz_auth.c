/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A config.json as berth reads it for credentials (its own or the docker CLI's, both written
 * by whoever): any input either fails to load with a message or loads; then every entry's
 * lookup either finds credentials or fails with a message, and the header of what it found,
 * a build's X-Registry-Config and the file as berth would write it are made without touching
 * memory they do not own. A written file must load again with the same entries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/auth/auth.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *as_file(const void *data, size_t size, int *fd)
{
    *fd = memfd_create("config.json", MFD_CLOEXEC);
    if (*fd < 0)
        abort();
    if (size && write(*fd, data, size) != (ssize_t)size)
        abort();
    return bt_xasprintf("/proc/self/fd/%d", *fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    int fd;
    bt_autofree char *path = as_file(data, size, &fd);
    struct auth_file f;
    bt_autoerr bt_err *err = NULL;
    if (auth_file_load(&f, path, &err) < 0) {
        close(fd);
        if (!err || !*bt_err_msg(err))
            abort(); /* a failure always says why */
        return 0;
    }
    const char *key;
    json_t *entry;
    json_object_foreach (bt_json_get_obj(f.doc, "auths"), key, entry) {
        bt_autofree char *host = auth_hostname(key);
        const char *keys[] = {key, host, auth_key(host)};
        for (size_t i = 0; i < 3; i++) {
            struct auth_config a;
            bt_err *gerr = NULL;
            int rc = auth_file_get(&f, keys[i], &a, &gerr);
            if (rc < 0 && (!gerr || !*bt_err_msg(gerr)))
                abort();
            bt_err_free(gerr);
            free(auth_header(rc == 1 ? &a : NULL));
            auth_config_clear(&a);
            (void)auth_file_helper(&f, keys[i]);
        }
    }
    const char *files[] = {path};
    free(auth_all_header(files, 1));
    /* what berth writes reads back as the same document */
    bt_autofree char *text = auth_file_dump(&f);
    int fd2;
    bt_autofree char *path2 = as_file(text, strlen(text), &fd2);
    struct auth_file g;
    if (auth_file_load(&g, path2, NULL) < 0)
        abort();
    if (json_object_size(bt_json_get_obj(g.doc, "auths")) !=
        json_object_size(bt_json_get_obj(f.doc, "auths")))
        abort();
    auth_file_clear(&g);
    auth_file_clear(&f);
    close(fd2);
    close(fd);
    return 0;
}
