/* SPDX-License-Identifier: Apache-2.0 */
/* ADD <url>: the download (libcurl's one home in the engine). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "guest/engine/build/build-internal.h"

int build_fetch(const char *url, const char *path, time_t *mtime, bt_err **err)
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
