/* SPDX-License-Identifier: Apache-2.0 */
/* ADD <url>: the download (libcurl's one home in the engine). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "guest/engine/build/build-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

/* Content-Disposition's filename parameter (as Go's mime.ParseMediaType gives it, for the
 * plain and quoted forms), or NULL. */
static char *disposition_name(const char *value)
{
    const char *p = value;
    while ((p = strchr(p, ';'))) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "filename=", 9) != 0)
            continue;
        p += 9;
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        bt_strbuf_append(&sb, "");
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                bt_strbuf_append_c(&sb, *p);
            }
        } else {
            for (; *p && *p != ';' && *p != ' ' && *p != '\r' && *p != '\n'; p++)
                bt_strbuf_append_c(&sb, *p);
        }
        return sb.len ? bt_strbuf_steal(&sb) : NULL;
    }
    return NULL;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    char **name = ctx;
    size_t len = size * n;
    static const char key[] = "content-disposition:";
    if (len > sizeof(key) - 1 && strncasecmp(data, key, sizeof(key) - 1) == 0) {
        bt_autofree char *line = bt_xstrndup(data + sizeof(key) - 1, len - (sizeof(key) - 1));
        free(*name);
        *name = disposition_name(line);
    }
    return len;
}

int build_fetch(const char *url, const char *path, char **disposition, time_t *mtime, bt_err **err)
{
    FILE *f = fopen(path, "wxe");
    if (!f)
        return bt_err_errno(err, errno, "create %s", path);
    fchmod(fileno(f), 0600);
    CURL *c = curl_easy_init();
    if (!c) {
        fclose(f);
        return bt_err_set(err, BT_E_UNAVAILABLE, "download %s: curl_easy_init failed", url);
    }
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, disposition);
    CURLcode rc = curl_easy_perform(c);
    long ft = -1;
    curl_easy_getinfo(c, CURLINFO_FILETIME, &ft);
    curl_easy_cleanup(c);
    if (fclose(f) != 0 && rc == CURLE_OK)
        return bt_err_errno(err, errno, "write %s", path);
    if (rc != CURLE_OK)
        return bt_err_set(err, BT_E_UNAVAILABLE, "failed to GET %s: %s", url,
                          *ebuf ? ebuf : curl_easy_strerror(rc));
    *mtime = ft > 0 ? (time_t)ft : 0;
    return 0;
}
