/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/fs/self.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"

char *bt_self_dir(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    return bt_path_dirname(self);
}

char *bt_path_lookup(const char *prog, const char *fallback_path)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? bt_xstrdup(prog) : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = fallback_path;
    for (const char *p = path;;) {
        size_t n = strcspn(p, ":");
        char *file = bt_xasprintf("%.*s/%s", (int)n, n ? p : ".", prog);
        if (access(file, X_OK) == 0)
            return file;
        free(file);
        if (!p[n])
            return NULL;
        p += n + 1;
    }
}

char *bt_module_path(const char *file)
{
    const char *dir = getenv("BERTH_LIB_DIR");
    if (dir && *dir)
        return bt_xasprintf("%s/%s", dir, file);
    bt_autofree char *bindir = bt_self_dir();
    if (!bindir)
        return bt_xstrdup(file);
    return bt_xasprintf("%s/../lib/berth/%s", bindir, file);
}
