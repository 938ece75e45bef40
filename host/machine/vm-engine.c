/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A machine's engine as its users reach it: https://IP:PORT with mutual TLS and the machine's
 * certificates (ca.pem, cert.pem, key.pem in its directory, DOCKER_CERT_PATH), through
 * libcurl. The start's last stage waits on /_ping; `ls` asks /version for the DOCKER column.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/machine/vm-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/archive/archive.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define BODY_MAX (1 << 20)

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct bt_strbuf *sb = arg;
    if (sb->len + size * n > BODY_MAX)
        return 0;
    bt_strbuf_append_n(sb, data, size * n);
    return size * n;
}

static int request(const struct machine *m, const char *path, const char *type, const void *data,
                   size_t len, int timeout_ms, long *status, struct bt_strbuf *body, bt_err **err)
{
    static bool inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    CURL *c = curl_easy_init();
    if (!c)
        return bt_err_set(err, BT_E_INTERNAL, "curl_easy_init failed");
    bt_autofree char *url = bt_xasprintf("https://%s:%d%s", m->ip_address, m->engine_port, path);
    bt_autofree char *ca = bt_xasprintf("%s/ca.pem", m->dir);
    bt_autofree char *cert = bt_xasprintf("%s/cert.pem", m->dir);
    bt_autofree char *key = bt_xasprintf("%s/key.pem", m->dir);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
    curl_easy_setopt(c, CURLOPT_SSLKEY, key);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    struct curl_slist *headers = NULL;
    if (type) {
        bt_autofree char *h = bt_xasprintf("Content-Type: %s", type);
        headers = curl_slist_append(headers, h);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return bt_err_set(err, rc == CURLE_OPERATION_TIMEDOUT ? BT_E_TIMEOUT : BT_E_UNAVAILABLE,
                          "GET %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    return 0;
}

int mvm_engine_get(const struct machine *m, const char *path, int timeout_ms, long *status,
                   struct bt_strbuf *body, bt_err **err)
{
    return request(m, path, NULL, NULL, 0, timeout_ms, status, body, err);
}

int mvm_engine_post(const struct machine *m, const char *path, const char *type, const void *data,
                    size_t len, int timeout_ms, long *status, struct bt_strbuf *body, bt_err **err)
{
    return request(m, path, type, data, len, timeout_ms, status, body, err);
}

long long mvm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mvm_engine_wait(const struct machine *m, int timeout_ms, bt_err **err)
{
    long long deadline = mvm_now_ms() + timeout_ms;
    for (;;) {
        bt_err *e = NULL;
        bt_autostrbuf struct bt_strbuf body = BT_STRBUF_INIT;
        long status = 0;
        long long left = deadline - mvm_now_ms();
        if (mvm_engine_get(m, "/_ping", (int)(left < 2000 ? (left > 100 ? left : 100) : 2000),
                           &status, &body, &e) == 0 &&
            status == 200 && strcmp(bt_strbuf_str(&body), "OK") == 0) {
            bt_err_free(e);
            return 0;
        }
        if (!e)
            bt_err_set(&e, BT_E_UNAVAILABLE, "GET /_ping answered %ld \"%.80s\"", status,
                       bt_strbuf_str(&body));
        if (mvm_now_ms() + 200 >= deadline) {
            bt_err_move(err, &e);
            return bt_err_wrap(err, "the engine did not answer over TLS within %d s",
                               timeout_ms / 1000);
        }
        bt_err_free(e);
        usleep(200 * 1000);
    }
}

char *mvm_engine_version(void *ctx, const struct machine *m, int timeout_ms, bt_err **err)
{
    (void)ctx;
    bt_autostrbuf struct bt_strbuf body = BT_STRBUF_INIT;
    long status = 0;
    if (mvm_engine_get(m, "/version", timeout_ms, &status, &body, err) < 0)
        return NULL;
    json_t *doc = status == 200 ? json_loads(bt_strbuf_str(&body), 0, NULL) : NULL;
    const char *v = doc ? json_string_value(json_object_get(doc, "Version")) : NULL;
    char *out = v ? bt_xasprintf("v%s", v) : NULL;
    json_decref(doc);
    if (!out)
        bt_err_set(err, BT_E_UNAVAILABLE, "GET /version answered %ld", status);
    return out;
}

/* The guest keeps berthd's TLS files here and restarts the engine with this command (the image's
 * init: boot2vm/). */
#define GUEST_TLS_DIR        "/mnt/data/berth-vm/tls"
#define GUEST_RESTART_ENGINE "/usr/sbin/berth-vm engine-restart"

int mvm_apply_certs(void *ctx, const struct machine *m, bt_err **err)
{
    (void)ctx;
    if (mgen_is(m))
        return mgen_apply_certs(m, err);
    static const char *const names[] = {"ca.pem", "server.pem", "server-key.pem"};
    bt_autofree char *a = bt_xasprintf("%s/%s", m->dir, names[0]);
    bt_autofree char *b = bt_xasprintf("%s/%s", m->dir, names[1]);
    bt_autofree char *c = bt_xasprintf("%s/%s", m->dir, names[2]);
    const char *const files[] = {a, b, c, NULL};
    /* one SFTP session for the three files, then the engine restarted alone */
    int rc = mvm_sftp_put(m, files, GUEST_TLS_DIR, err);
    if (rc == 0)
        rc = mvm_ssh_run(m, GUEST_RESTART_ENGINE, err);
    if (rc == 0)
        rc = mvm_engine_wait(m, 60000, err);
    return rc;
}

/* ---- the first image of `berth quickstart` ----------------------------------------------- */

/* A busybox root file system from this host's static busybox (Debian's busybox-static): every
 * applet linked at its full path, as tests/images/make-busybox-rootfs.sh makes the test image. */
static int busybox_tar(int fd, const char *busybox, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf bin = BT_STRBUF_INIT;
    if (bt_file_read(busybox, &bin, 16 << 20, err) < 0)
        return -1;
    bt_autoptr(bt_tar_writer) w = bt_tar_writer_new(fd, BT_TAR_PLAIN, err);
    if (!w)
        return -1;
    static const char *const dirs[] = {"bin",     "dev",      "etc", "home",   "proc",
                                       "root",    "sbin",     "sys", "tmp",    "usr",
                                       "usr/bin", "usr/sbin", "var", "var/tmp"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        bool sticky = strcmp(dirs[i], "tmp") == 0 || strcmp(dirs[i], "var/tmp") == 0;
        struct bt_tar_entry e = {.name = dirs[i],
                                 .type = BT_TAR_DIR,
                                 .mode = sticky                         ? 01777
                                         : strcmp(dirs[i], "root") == 0 ? 0700
                                                                        : 0755};
        if (bt_tar_writer_add_entry(w, &e, err) < 0)
            return -1;
    }
    static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                 "nobody:x:65534:65534:nobody:/home:/bin/false\n";
    static const char group[] = "root:x:0:\nnogroup:x:65534:\n";
    if (bt_tar_writer_add_data(w, "bin/busybox", bin.buf, bin.len, 0755, 0, err) < 0 ||
        bt_tar_writer_add_data(w, "etc/passwd", passwd, sizeof(passwd) - 1, 0644, 0, err) < 0 ||
        bt_tar_writer_add_data(w, "etc/group", group, sizeof(group) - 1, 0644, 0, err) < 0)
        return -1;
    bt_autofree char *cmd = bt_xasprintf("'%s' --list-full", busybox);
    FILE *p = popen(cmd, "r");
    if (!p)
        return bt_err_errno(err, errno, "%s --list-full", busybox);
    char line[256];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\n")] = '\0';
        if (!*line || strcmp(line, "bin/busybox") == 0)
            continue;
        struct bt_tar_entry e = {
                .name = line, .type = BT_TAR_SYMLINK, .mode = 0777, .linkname = "/bin/busybox"};
        rc = bt_tar_writer_add_entry(w, &e, err);
    }
    pclose(p);
    if (rc == 0)
        rc = bt_tar_writer_finish(w, NULL, NULL, err);
    return rc;
}

int mvm_seed_image(const struct machine *m, const char *busybox, const char *repo, bool *made,
                   bt_err **err)
{
    *made = false;
    bt_autostrbuf struct bt_strbuf body = BT_STRBUF_INIT;
    long status = 0;
    bt_autofree char *path = bt_xasprintf("/images/%s:latest/json", repo);
    if (mvm_engine_get(m, path, 30000, &status, &body, err) < 0)
        return -1;
    if (status == 200)
        return 0;
    int fd = memfd_create("berth-busybox.tar", MFD_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "memfd_create");
    int rc = busybox_tar(fd, busybox, err);
    off_t len = rc == 0 ? lseek(fd, 0, SEEK_END) : 0;
    void *data = len > 0 ? mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (rc < 0)
        return -1;
    if (data == MAP_FAILED)
        return bt_err_errno(err, errno, "mmap");
    bt_strbuf_reset(&body);
    bt_autofree char *post = bt_xasprintf("/images/create?fromSrc=-&repo=%s&tag=latest", repo);
    rc = mvm_engine_post(m, post, "application/x-tar", data, (size_t)len, 120000, &status, &body,
                         err);
    munmap(data, (size_t)len);
    if (rc == 0 && status != 200)
        rc = bt_err_set(err, BT_E_UNAVAILABLE, "importing %s: the engine answered %ld: %s", repo,
                        status, bt_strbuf_str(&body));
    if (rc == 0)
        *made = true;
    return rc;
}
