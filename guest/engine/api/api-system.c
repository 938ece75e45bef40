/* SPDX-License-Identifier: Apache-2.0 */
/* /_ping, /version, /info */
#include <dirent.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "berth-version.h"
#include "guest/engine/api/api.h"
#include "guest/engine/container/container.h"
#include "guest/engine/image/image.h"
#include "shared/base/cleanup.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"
#include "shared/base/strbuf.h"

void api_ping(struct api_call *call)
{
    /* The docker CLI's first request: HEAD /_ping; it reads Api-Version from the answer and
     * Builder-Version to pick a builder ("1": the classic builder berthd serves). */
    if (strcmp(api_method(call), "HEAD") == 0)
        api_reply_text(call, 200, "text/plain; charset=utf-8", "");
    else
        api_reply_text(call, 200, "text/plain; charset=utf-8", "OK");
}

static const char *arch_name(const char *machine)
{
    if (strcmp(machine, "x86_64") == 0)
        return "amd64";
    if (strcmp(machine, "aarch64") == 0)
        return "arm64";
    return machine;
}

void api_version_handler(struct api_call *call)
{
    struct utsname u;
    uname(&u);
    json_t *details =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion", API_VERSION_STRING,
                      "Arch", arch_name(u.machine), "BuildTime", "", "Experimental", "false",
                      "GitCommit", BERTH_GIT_COMMIT, "GoVersion", "", "KernelVersion", u.release,
                      "MinAPIVersion", API_MIN_VERSION_STRING);
    json_object_set_new(details, "Os", json_string("linux"));
    json_t *v = json_object();
    json_object_set_new(v, "Platform", json_pack("{s:s}", "Name", "Berth Engine"));
    json_object_set_new(v, "Components",
                        json_pack("[{s:s, s:s, s:o}]", "Name", "Engine", "Version", BERTH_VERSION,
                                  "Details", details));
    bt_json_set_str(v, "Version", BERTH_VERSION);
    bt_json_set_str(v, "ApiVersion", API_VERSION_STRING);
    bt_json_set_str(v, "MinAPIVersion", API_MIN_VERSION_STRING);
    bt_json_set_str(v, "GitCommit", BERTH_GIT_COMMIT);
    bt_json_set_str(v, "GoVersion", "");
    bt_json_set_str(v, "Os", "linux");
    bt_json_set_str(v, "Arch", arch_name(u.machine));
    bt_json_set_str(v, "KernelVersion", u.release);
    bt_json_set_str(v, "BuildTime", "");
    api_reply_json(call, 200, v);
}

static char *os_pretty_name(void)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read("/etc/os-release", &sb, 1 << 16, NULL) == 0) {
        const char *p = strstr(bt_strbuf_str(&sb), "PRETTY_NAME=");
        if (p) {
            p += 12;
            if (*p == '"')
                p++;
            return bt_xstrndup(p, strcspn(p, "\"\n"));
        }
    }
    return bt_xstrdup("Linux");
}

/* A /proc/sys switch ("1\n"): true when it reads 1; false when missing. */
static bool sysctl_on(const char *path)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    return bt_file_read(path, &sb, 64, NULL) == 0 && bt_strbuf_str(&sb)[0] == '1';
}

/* The file system below the data root in dockerd's words (fsutils' FsMagic names). */
static const char *backing_fs(const char *dir)
{
    struct statfs st;
    if (statfs(dir, &st) < 0)
        return "<unknown>";
    switch ((unsigned long)st.f_type) {
    case EXT4_SUPER_MAGIC:
        return "extfs";
    case XFS_SUPER_MAGIC:
        return "xfs";
    case BTRFS_SUPER_MAGIC:
        return "btrfs";
    case TMPFS_MAGIC:
        return "tmpfs";
    case OVERLAYFS_SUPER_MAGIC:
        return "overlayfs";
    case 0x2fc12fc1: /* ZFS */
        return "zfs";
    default:
        return "<unknown>";
    }
}

/* Open descriptors and threads of berthd: dockerd's NFd and NGoroutines (its goroutines are
 * Berth's threads). */
static int64_t count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int64_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n > 0 ? n - 1 : 0; /* less the one opendir holds */
}

static int64_t count_threads(void)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read("/proc/self/status", &sb, 1 << 16, NULL) < 0)
        return 0;
    const char *p = strstr(bt_strbuf_str(&sb), "\nThreads:");
    return p ? strtoll(p + 9, NULL, 10) : 0;
}

void api_info(struct api_call *call)
{
    struct api_context *ctx = api_ctx(call);
    size_t n;
    struct ctr **list = ctr_list(ctx->containers, &n);
    int running = 0, paused = 0, stopped = 0;
    for (size_t i = 0; i < n; i++) {
        bt_autoptr(json_t) s = ctr_snapshot(list[i]);
        const char *st = bt_json_get_str(bt_json_get_obj(s, "State"), "Status", "");
        if (strcmp(st, "running") == 0)
            running++;
        else if (strcmp(st, "paused") == 0)
            paused++;
        else
            stopped++;
    }
    ctr_list_free(list, n);
    struct image_list_opts lo = {.all = true};
    struct image_list *il = image_list(ctx->images, &lo, NULL);
    size_t nimages = il ? il->n : 0;
    image_list_free(il);

    struct utsname u;
    uname(&u);
    struct sysinfo si;
    sysinfo(&si);
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    bool v2 = bt_path_exists("/sys/fs/cgroup/cgroup.controllers");
    bool swap_limit = v2 || bt_path_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
    bt_autofree char *os = os_pretty_name();
    json_t *warnings = json_array();
    if (!swap_limit)
        json_array_append_new(warnings, json_string("WARNING: No swap limit support"));

    json_t *v = json_object();
    bt_json_set_str(v, "ID", ctx->info->id);
    bt_json_set_int(v, "Containers", (int64_t)n);
    bt_json_set_int(v, "ContainersRunning", running);
    bt_json_set_int(v, "ContainersPaused", paused);
    bt_json_set_int(v, "ContainersStopped", stopped);
    bt_json_set_int(v, "Images", (int64_t)nimages);
    bt_json_set_str(v, "Driver", "overlay2");
    json_object_set_new(v, "DriverStatus",
                        json_pack("[[s,s],[s,s],[s,s]]", "Backing Filesystem",
                                  backing_fs(ctx->info->data_root), "Supports d_type", "true",
                                  "Using metacopy", "false"));
    json_object_set_new(v, "Plugins",
                        json_pack("{s:[s], s:[s,s,s], s:n, s:[s,s]}", "Volume", "local", "Network",
                                  "bridge", "host", "none", "Authorization", "Log", "json-file",
                                  "none"));
    bt_json_set_bool(v, "MemoryLimit", true);
    bt_json_set_bool(v, "SwapLimit", swap_limit);
    bt_json_set_bool(v, "KernelMemory", false);
    bt_json_set_bool(v, "KernelMemoryTCP", false);
    bt_json_set_bool(v, "CpuCfsPeriod", true);
    bt_json_set_bool(v, "CpuCfsQuota", true);
    bt_json_set_bool(v, "CPUShares", true);
    bt_json_set_bool(v, "CPUSet", true);
    bt_json_set_bool(v, "PidsLimit", true);
    bt_json_set_bool(v, "IPv4Forwarding", sysctl_on("/proc/sys/net/ipv4/ip_forward"));
    bt_json_set_bool(v, "BridgeNfIptables",
                     sysctl_on("/proc/sys/net/bridge/bridge-nf-call-iptables"));
    bt_json_set_bool(v, "BridgeNfIp6tables",
                     sysctl_on("/proc/sys/net/bridge/bridge-nf-call-ip6tables"));
    bt_json_set_bool(v, "Debug", ctx->info->debug);
    bt_json_set_int(v, "NFd", count_fds());
    bt_json_set_bool(v, "OomKillDisable", false);
    bt_json_set_int(v, "NGoroutines", count_threads());
    time_t now = time(NULL);
    struct tm tm;
    char stamp[64];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    bt_json_set_str(v, "SystemTime", stamp);
    bt_json_set_str(v, "LoggingDriver", "json-file");
    bt_json_set_str(v, "CgroupDriver", "cgroupfs");
    bt_json_set_str(v, "CgroupVersion", v2 ? "2" : "1");
    bt_json_set_int(v, "NEventsListener", 0);
    bt_json_set_str(v, "KernelVersion", u.release);
    bt_json_set_str(v, "OperatingSystem", os);
    bt_json_set_str(v, "OSVersion", "");
    bt_json_set_str(v, "OSType", "linux");
    bt_json_set_str(v, "Architecture", u.machine);
    bt_json_set_str(v, "IndexServerAddress", "https://index.docker.io/v1/");
    json_object_set_new(v, "RegistryConfig",
                        json_pack("{s:[], s:[], s:{}, s:[]}", "AllowNondistributableArtifactsCIDRs",
                                  "AllowNondistributableArtifactsHostnames", "IndexConfigs",
                                  "Mirrors"));
    bt_json_set_int(v, "NCPU", sysconf(_SC_NPROCESSORS_ONLN));
    bt_json_set_int(v, "MemTotal", (int64_t)si.totalram * si.mem_unit);
    json_object_set_new(v, "GenericResources", json_null());
    bt_json_set_str(v, "DockerRootDir", ctx->info->data_root);
    bt_json_set_str(v, "HttpProxy", "");
    bt_json_set_str(v, "HttpsProxy", "");
    bt_json_set_str(v, "NoProxy", "");
    bt_json_set_str(v, "Name", host);
    json_object_set_new(v, "Labels", json_array());
    bt_json_set_bool(v, "ExperimentalBuild", false);
    bt_json_set_str(v, "ServerVersion", BERTH_VERSION);
    json_object_set_new(v, "Runtimes", json_pack("{s:{s:s}}", "berth", "path", "berth-monitor"));
    bt_json_set_str(v, "DefaultRuntime", "berth");
    json_object_set_new(v, "Swarm",
                        json_pack("{s:s, s:s, s:s, s:b, s:s, s:n}", "NodeID", "", "NodeAddr", "",
                                  "LocalNodeState", "inactive", "ControlAvailable", false, "Error",
                                  "", "RemoteManagers"));
    bt_json_set_bool(v, "LiveRestoreEnabled", true);
    bt_json_set_str(v, "Isolation", "");
    bt_json_set_str(v, "InitBinary", "");
    json_t *commit = json_pack("{s:s, s:s}", "ID", BERTH_GIT_COMMIT, "Expected", BERTH_GIT_COMMIT);
    json_object_set(v, "ContainerdCommit", commit);
    json_object_set(v, "RuncCommit", commit);
    json_object_set_new(v, "InitCommit", commit);
    json_object_set_new(v, "SecurityOptions",
                        json_pack("[s,s]", "name=seccomp,profile=builtin", "name=cgroupns"));
    json_object_set_new(v, "Warnings", warnings);
    api_reply_json(call, 200, v);
}
