/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI mount options, split the way mount(8) and runc split them: names that are mount(2)
 * flags, propagation types, and everything else, which is the file system's own business and
 * goes to it verbatim as the data argument ("mode=755", "size=65536k", "newinstance").
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

struct flag_opt {
    const char *name;
    unsigned long set;
    unsigned long clear;
};

/* "defaults" is rw,suid,dev,exec,auto,nouser,async: nothing to set. The atime options are
 * exclusive: setting one clears the others, as mount(8) does. */
#define ATIME_MASK (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

static const struct flag_opt flag_opts[] = {
        {"defaults", 0, 0},
        {"ro", MS_RDONLY, 0},
        {"rw", 0, MS_RDONLY},
        {"nosuid", MS_NOSUID, 0},
        {"suid", 0, MS_NOSUID},
        {"nodev", MS_NODEV, 0},
        {"dev", 0, MS_NODEV},
        {"noexec", MS_NOEXEC, 0},
        {"exec", 0, MS_NOEXEC},
        {"sync", MS_SYNCHRONOUS, 0},
        {"async", 0, MS_SYNCHRONOUS},
        {"dirsync", MS_DIRSYNC, 0},
        {"mand", MS_MANDLOCK, 0},
        {"nomand", 0, MS_MANDLOCK},
        {"atime", 0, MS_NOATIME},
        {"noatime", MS_NOATIME, ATIME_MASK},
        {"diratime", 0, MS_NODIRATIME},
        {"nodiratime", MS_NODIRATIME, 0},
        {"relatime", MS_RELATIME, ATIME_MASK},
        {"norelatime", 0, MS_RELATIME},
        {"strictatime", MS_STRICTATIME, ATIME_MASK},
        {"nostrictatime", 0, MS_STRICTATIME},
        {"remount", 0, 0}, /* a runtime never remounts what it did not mount: ignored */
};

static const struct flag_opt propagation_opts[] = {
        {"private", MS_PRIVATE, 0},       {"rprivate", MS_PRIVATE | MS_REC, 0},
        {"shared", MS_SHARED, 0},         {"rshared", MS_SHARED | MS_REC, 0},
        {"slave", MS_SLAVE, 0},           {"rslave", MS_SLAVE | MS_REC, 0},
        {"unbindable", MS_UNBINDABLE, 0}, {"runbindable", MS_UNBINDABLE | MS_REC, 0},
};

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

unsigned long rt_propagation_flags(const char *name)
{
    for (size_t i = 0; i < N_ELEMENTS(propagation_opts); i++) {
        if (strcmp(name, propagation_opts[i].name) == 0)
            return propagation_opts[i].set;
    }
    return 0;
}

int rt_mount_opts_parse(char *const *opts, struct rt_mount_opts *out, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf data = BT_STRBUF_INIT;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; opts && opts[i]; i++) {
        const char *o = opts[i];
        if (o[0] == '\0')
            continue;
        if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
            out->bind = true;
            out->recursive = out->recursive || o[0] == 'r';
            continue;
        }
        unsigned long prop = rt_propagation_flags(o);
        if (prop) {
            out->propagation = prop;
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < N_ELEMENTS(flag_opts); k++) {
            if (strcmp(o, flag_opts[k].name) == 0) {
                out->flags = (out->flags & ~flag_opts[k].clear) | flag_opts[k].set;
                known = true;
                break;
            }
        }
        if (known)
            continue;
        /* The data argument is a comma-separated list: a comma inside one option would
         * smuggle in another. */
        if (strchr(o, ','))
            return bt_err_set(err, BT_E_INVALID, "mount option \"%s\": contains a comma", o);
        if (data.len)
            bt_strbuf_append_c(&data, ',');
        bt_strbuf_append(&data, o);
    }
    out->data = data.len ? bt_strbuf_steal(&data) : NULL;
    return 0;
}

void rt_mount_opts_clear(struct rt_mount_opts *o)
{
    free(o->data);
    memset(o, 0, sizeof(*o));
}
