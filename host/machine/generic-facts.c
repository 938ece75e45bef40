/* SPDX-License-Identifier: Apache-2.0 */
/* What a generic host says about itself: the detection script's KEY=VALUE lines. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "host/machine/generic.h"
#include "shared/base/mem.h"

#define MAX_VALUE 4096

static void set(char **slot, const char *v, size_t n)
{
    free(*slot);
    *slot = bt_xstrndup(v, n);
}

static int to_int(const char *v, size_t n)
{
    if (n == 0 || n > 9)
        return -1;
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

static void one(struct gen_facts *f, const char *k, size_t kn, const char *v, size_t vn)
{
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
            {"arch", offsetof(struct gen_facts, arch)},
            {"os_id", offsetof(struct gen_facts, os_id)},
            {"os_like", offsetof(struct gen_facts, os_like)},
            {"os_version", offsetof(struct gen_facts, os_version)},
            {"os_name", offsetof(struct gen_facts, os_name)},
            {"hostname", offsetof(struct gen_facts, hostname)},
            {"home", offsetof(struct gen_facts, home)},
            {"sha_berthd", offsetof(struct gen_facts, sha_berthd)},
            {"sha_berth-monitor", offsetof(struct gen_facts, sha_monitor)},
            {"sha_berth-init", offsetof(struct gen_facts, sha_init)},
            {"marker", offsetof(struct gen_facts, marker)},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strlen(strs[i].key) == kn && memcmp(strs[i].key, k, kn) == 0) {
            set((char **)((char *)f + strs[i].off), v, vn);
            return;
        }
    if (kn == 3 && memcmp(k, "uid", 3) == 0)
        f->uid = to_int(v, vn);
    else if (kn == 7 && memcmp(k, "systemd", 7) == 0)
        f->systemd = vn == 1 && v[0] == '1';
    else if (kn == 3 && memcmp(k, "apt", 3) == 0)
        f->apt = vn == 1 && v[0] == '1';
    else if (kn == 7 && memcmp(k, "dockerd", 7) == 0)
        f->dockerd_pid = to_int(v, vn) > 0 ? to_int(v, vn) : 0;
    else if (kn == 7 && memcmp(k, "missing", 7) == 0 && vn > 0) {
        char *p = bt_xstrndup(v, vn);
        bt_strv_push(&f->missing, p);
        free(p);
    }
}

void gen_facts_parse(const char *text, size_t len, struct gen_facts *out)
{
    *out = (struct gen_facts){.uid = -1};
    size_t i = 0;
    while (i < len) {
        const char *line = text + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        i += n + (nl ? 1 : 0);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        const char *eq = memchr(line, '=', n);
        if (!eq || eq == line || memchr(line, '\0', n))
            continue;
        size_t kn = (size_t)(eq - line), vn = n - kn - 1;
        if (vn > MAX_VALUE)
            continue;
        one(out, line, kn, eq + 1, vn);
    }
}

void gen_facts_clear(struct gen_facts *f)
{
    free(f->arch);
    free(f->os_id);
    free(f->os_like);
    free(f->os_version);
    free(f->os_name);
    free(f->hostname);
    free(f->home);
    free(f->sha_berthd);
    free(f->sha_monitor);
    free(f->sha_init);
    free(f->marker);
    bt_strv_free(f->missing);
    *f = (struct gen_facts){.uid = -1};
}

/* Is `word` one of the space-separated words of `list`? */
static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == n && len > 0 && strncmp(p, word, n) == 0)
            return true;
        p += len;
    }
    return false;
}

int gen_facts_check_distro(const struct gen_facts *f, bt_err **err)
{
    const char *name = f->os_name && *f->os_name ? f->os_name : f->os_id ? f->os_id : "unknown";
    bool apt_family =
            (f->os_id && (strcmp(f->os_id, "debian") == 0 || strcmp(f->os_id, "ubuntu") == 0)) ||
            has_word(f->os_like, "debian") || has_word(f->os_like, "ubuntu");
    if (!apt_family)
        return bt_err_set(err, BT_E_UNSUPPORTED,
                          "unsupported distribution \"%s\": Berth installs berthd's "
                          "dependencies with apt (Debian, Ubuntu)",
                          name);
    if (!f->apt)
        return bt_err_set(err, BT_E_UNSUPPORTED,
                          "\"%s\" has no apt-get and dpkg-query: Berth installs berthd's "
                          "dependencies with apt",
                          name);
    return 0;
}

bool gen_word_ok(const char *s)
{
    if (!s || !*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\'' || *p == '\\')
            return false;
    return true;
}

bool gen_hostname_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 253 || s[0] == '.' || s[0] == '-')
        return false;
    size_t label = 0;
    for (const char *p = s; *p; p++) {
        bool alnum =
                (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (*p == '.') {
            if (label == 0 || p[-1] == '-')
                return false;
            label = 0;
        } else if (alnum || (*p == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 && s[strlen(s) - 1] != '-';
}
