/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/base/strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"

struct node {
    struct node *next;
    char key[];
};

struct bt_strset {
    struct node **buckets;
    size_t nbuckets;
    size_t count;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct bt_strset *bt_strset_new(void)
{
    struct bt_strset *s = bt_xzalloc(sizeof(*s));
    s->nbuckets = 64;
    s->buckets = bt_xzalloc(s->nbuckets * sizeof(*s->buckets));
    return s;
}

void bt_strset_free(struct bt_strset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct node *n = s->buckets[i];
        while (n) {
            struct node *next = n->next;
            free(n);
            n = next;
        }
    }
    free(s->buckets);
    free(s);
}

static void grow(struct bt_strset *s)
{
    size_t nb = s->nbuckets * 2;
    struct node **b = bt_xzalloc(nb * sizeof(*b));
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct node *n = s->buckets[i];
        while (n) {
            struct node *next = n->next;
            size_t k = hash(n->key) & (nb - 1);
            n->next = b[k];
            b[k] = n;
            n = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = nb;
}

bool bt_strset_has(const struct bt_strset *s, const char *key)
{
    for (struct node *n = s->buckets[hash(key) & (s->nbuckets - 1)]; n; n = n->next)
        if (strcmp(n->key, key) == 0)
            return true;
    return false;
}

bool bt_strset_add(struct bt_strset *s, const char *key)
{
    if (bt_strset_has(s, key))
        return false;
    if (s->count >= s->nbuckets)
        grow(s);
    size_t len = strlen(key);
    struct node *n = bt_xmalloc(sizeof(*n) + len + 1);
    memcpy(n->key, key, len + 1);
    size_t k = hash(key) & (s->nbuckets - 1);
    n->next = s->buckets[k];
    s->buckets[k] = n;
    s->count++;
    return true;
}

size_t bt_strset_size(const struct bt_strset *s)
{
    return s->count;
}
