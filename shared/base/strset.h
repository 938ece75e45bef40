/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A set of strings (open hashing, FNV-1a). The set owns copies of what is added. Not
 * thread-safe.
 */
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/cleanup.h"

struct bt_strset;

struct bt_strset *bt_strset_new(void);
void bt_strset_free(struct bt_strset *s);
/* Add a copy of key; returns true when it was not there before. */
bool bt_strset_add(struct bt_strset *s, const char *key);
bool bt_strset_has(const struct bt_strset *s, const char *key);
size_t bt_strset_size(const struct bt_strset *s);

BT_DEFINE_AUTOPTR(bt_strset, struct bt_strset, bt_strset_free);
