/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Scope-bound cleanup with __attribute__((cleanup)), as crun's cleanup_free and libvirt's
 * g_autoptr do it. A variable declared with one of these is released when it goes out of scope;
 * hand ownership out with bt_steal_ptr(&p) or bt_steal_fd(&fd).
 *
 *   bt_autofree char *path = bt_xasprintf(...);
 *   bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
 *   bt_autoptr(json_t) doc = ...;            (type registered with BT_DEFINE_AUTOPTR)
 *   bt_autoerr bt_err *err = NULL;
 *
 * To make bt_autoptr(NAME) work for a type, register it once, beside its free function:
 *   BT_DEFINE_AUTOPTR(bt_ref, struct bt_ref, bt_ref_free);   ->   bt_autoptr(bt_ref) r = ...;
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "shared/base/err.h"
#include "shared/base/mem.h"

static inline void bt_cleanup_free_(void *p)
{
    free(*(void **)p);
}

static inline void bt_cleanup_close_(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void bt_cleanup_file_(FILE **f)
{
    if (*f)
        fclose(*f);
}

static inline void bt_cleanup_err_(bt_err **e)
{
    bt_err_free(*e);
}

static inline void bt_cleanup_strv_(char ***v)
{
    bt_strv_free(*v);
}

#define bt_autofree  __attribute__((cleanup(bt_cleanup_free_)))
#define bt_autoclose __attribute__((cleanup(bt_cleanup_close_)))
#define bt_autofile  __attribute__((cleanup(bt_cleanup_file_)))
#define bt_autoerr   __attribute__((cleanup(bt_cleanup_err_)))
#define bt_autostrv  __attribute__((cleanup(bt_cleanup_strv_)))

#define BT_AUTOPTR_FN_(name) bt_autoptr_cleanup_##name##_
#define BT_DEFINE_AUTOPTR(name, type, freefn)          \
    static inline void BT_AUTOPTR_FN_(name)(type * *p) \
    {                                                  \
        if (*p)                                        \
            freefn(*p);                                \
    }                                                  \
    typedef type *bt_autoptr_type_##name##_
#define bt_autoptr(name) __attribute__((cleanup(BT_AUTOPTR_FN_(name)))) bt_autoptr_type_##name##_

/* Take the pointer out of *pp and leave NULL behind (ownership moves to the caller). */
static inline void *bt_steal_ptr_(void *pp)
{
    void **p = pp;
    void *v = *p;
    *p = NULL;
    return v;
}
#define bt_steal_ptr(pp) ((__typeof__(*(pp)))bt_steal_ptr_(pp))

/* Take the fd out of *fd and leave -1 behind. */
static inline int bt_steal_fd(int *fd)
{
    int v = *fd;
    *fd = -1;
    return v;
}
