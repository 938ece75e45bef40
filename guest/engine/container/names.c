/* SPDX-License-Identifier: Apache-2.0 */
/* Container names: validation and the random "adjective_noun" names `docker run` gives. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "guest/engine/container/container-internal.h"
#include "shared/base/mem.h"

/* Berth's own word lists, in the spirit of dockerd's names-generator: a mood and a person
 * who shaped computing or science. */
static const char *const left[] = {
        "admiring",   "agitated", "amazing",   "awesome", "blissful", "bold",       "brave",
        "busy",       "charming", "clever",    "cool",    "dazzling", "determined", "eager",
        "ecstatic",   "elegant",  "epic",      "festive", "focused",  "friendly",   "gallant",
        "gifted",     "great",    "happy",     "hopeful", "jolly",    "keen",       "kind",
        "laughing",   "loving",   "lucid",     "magical", "modest",   "nice",       "nifty",
        "optimistic", "peaceful", "practical", "quirky",  "relaxed",  "serene",     "sharp",
        "silly",      "stoic",    "sweet",     "tender",  "trusting", "upbeat",     "vibrant",
        "wizardly",   "youthful", "zealous",
};

static const char *const right[] = {
        "agnesi",   "babbage",  "backus",  "bardeen",  "bartik",   "berners",  "boole",
        "borg",     "cerf",     "curie",   "darwin",   "dijkstra", "einstein", "euclid",
        "euler",    "faraday",  "fermat",  "feynman",  "gauss",    "goldberg", "hamilton",
        "hodgkin",  "hopper",   "hypatia", "johnson",  "kepler",   "knuth",    "lamport",
        "liskov",   "lovelace", "maxwell", "mccarthy", "meitner",  "morse",    "newton",
        "noether",  "pascal",   "perlman", "ritchie",  "shannon",  "sinoussi", "stallman",
        "thompson", "torvalds", "turing",  "wilson",   "wing",     "wozniak",  "yalow",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

char *ctr_random_name(void)
{
    unsigned r[2] = {0, 0};
    if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
        r[0] = (unsigned)rand();
        r[1] = (unsigned)rand();
    }
    return bt_xasprintf("%s_%s", left[r[0] % N(left)], right[r[1] % N(right)]);
}

/* dockerd's validContainerNamePattern: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (with an optional "/") */
int ctr_validate_name(const char *name, bt_err **err)
{
    const char *n = name[0] == '/' ? name + 1 : name;
    size_t len = strlen(n);
    bool ok = len >= 2;
    for (size_t i = 0; ok && i < len; i++) {
        char c = n[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        ok = alnum || (i > 0 && (c == '_' || c == '.' || c == '-'));
    }
    if (!ok)
        return bt_err_set(err, BT_E_INVALID,
                          "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                          n);
    return 0;
}
