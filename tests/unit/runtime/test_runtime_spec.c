/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json parsing: a Docker-like spec comes out as the runtime will use it, every
 * malformed member is refused with its name in the message, and mount options split as
 * mount(8) splits them.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

/* What the engine will write for `docker run --memory 64m --pids-limit 50 busybox id` */
static const char *docker_like =
        "{\"ociVersion\":\"1.0.2\","
        "\"process\":{\"terminal\":false,\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,"
        "\"additionalGids\":[10,20]},\"args\":[\"id\"],"
        "\"env\":[\"PATH=/usr/bin:/bin\",\"HOSTNAME=abc\"],\"cwd\":\"/work\","
        "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],"
        "\"effective\":[\"CAP_CHOWN\"],\"permitted\":[\"CAP_CHOWN\",\"CAP_KILL\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":4096,\"soft\":1024}],"
        "\"noNewPrivileges\":true,\"oomScoreAdj\":100,\"apparmorProfile\":\"docker-default\"},"
        "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"hostname\":\"abc\","
        "\"mounts\":["
        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
        "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
        "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/vol\","
        "\"options\":[\"rbind\",\"ro\",\"rprivate\"]},"
        "{\"destination\":\"/etc/hosts\",\"source\":\"hosts\",\"options\":[\"bind\"]}],"
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\","
        "\"path\":\"/run/netns/x\"},{\"type\":\"mount\"},{\"type\":\"uts\"},{\"type\":\"ipc\"}],"
        "\"cgroupsPath\":\"/berth//abc/\","
        "\"resources\":{\"memory\":{\"limit\":67108864,\"swap\":134217728},"
        "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},"
        "\"pids\":{\"limit\":50},"
        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
        "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}]},"
        "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"1000\"},"
        "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
        "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,"
        "\"fileMode\":438,\"uid\":0,\"gid\":0}],"
        "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
        "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
        "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
        "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
        "\"value\":2114060288,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]},"
        "\"rootfsPropagation\":\"rslave\",\"unknownThing\":{\"x\":1}}}";

static struct rt_spec *parse(const char *text, bt_err **err)
{
    bt_autoptr(json_t) j = bt_json_parse_object(text, strlen(text), NULL);
    assert_non_null(j);
    return rt_spec_from_json(j, "/bundles/b1", err);
}

static void test_runtime_spec_reads_a_docker_like_config(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(rt_spec) s = parse(docker_like, &err);
    assert_null(err);
    assert_non_null(s);
    assert_string_equal(s->root, "/bundles/b1/rootfs");
    assert_true(s->root_readonly);
    assert_string_equal(s->hostname, "abc");

    const struct rt_process *p = &s->process;
    assert_string_equal(p->args[0], "id");
    assert_string_equal(p->cwd, "/work");
    assert_int_equal(p->uid, 1000);
    assert_int_equal(p->gid, 100);
    assert_int_equal(p->ngroups, 2);
    assert_int_equal(p->groups[1], 20);
    assert_true(p->has_umask);
    assert_int_equal(p->umask, 022);
    assert_true(p->has_caps);
    assert_int_equal(p->caps.bounding, (1 << 0) | (1 << 5));
    assert_int_equal(p->caps.effective, 1);
    assert_int_equal(p->caps.ambient, 0);
    assert_int_equal(p->nrlimits, 1);
    assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
    assert_int_equal(p->rlimits[0].soft, 1024);
    assert_true(p->no_new_privs);
    assert_int_equal(p->oom_score_adj, 100);

    assert_int_equal(s->nmounts, 4);
    assert_string_equal(s->mounts[1].destination, "/dev");
    assert_int_equal(s->mounts[1].opts.flags, MS_NOSUID | MS_STRICTATIME);
    assert_string_equal(s->mounts[1].opts.data, "mode=755,size=65536k");
    assert_true(s->mounts[2].opts.bind && s->mounts[2].opts.recursive);
    assert_int_equal(s->mounts[2].opts.flags, MS_RDONLY);
    assert_int_equal(s->mounts[2].opts.propagation, MS_PRIVATE | MS_REC);
    /* a bind given only by its options; a relative source is the bundle's */
    assert_true(s->mounts[3].opts.bind);
    assert_string_equal(s->mounts[3].source, "/bundles/b1/hosts");

    assert_true(s->ns[RT_NS_PID].enabled);
    assert_null(s->ns[RT_NS_PID].path);
    assert_string_equal(s->ns[RT_NS_NET].path, "/run/netns/x");
    assert_false(s->ns[RT_NS_CGROUP].enabled);
    assert_string_equal(s->cgroups_path, "/berth/abc");

    assert_true(s->res.has_memory_limit);
    assert_int_equal(s->res.memory_limit, 64 << 20);
    assert_int_equal(s->res.memory_swap, 128 << 20);
    assert_false(s->res.has_memory_reservation);
    assert_int_equal(s->res.cpu_shares, 512);
    assert_int_equal(s->res.cpu_quota, 50000);
    assert_string_equal(s->res.cpus, "0");
    assert_int_equal(s->res.pids_limit, 50);
    assert_int_equal(s->res.ndevices, 2);
    assert_int_equal(s->res.devices[0].type, 'a');
    assert_false(s->res.devices[0].allow);
    assert_int_equal(s->res.devices[1].access, RT_DEV_READ | RT_DEV_WRITE);

    assert_int_equal(s->nsysctl, 2);
    assert_string_equal(s->masked_paths[0], "/proc/kcore");
    assert_int_equal(s->ndevices, 1);
    assert_int_equal(s->devices[0].mode, 0666);
    assert_int_equal(s->seccomp->nrules, 2);
    assert_int_equal(s->seccomp->default_action, RT_SCMP_ERRNO);
    assert_int_equal(s->seccomp->rules[1].args[0].op, RT_SCMP_CMP_MASKED_EQ);
    assert_int_equal(s->seccomp->rules[1].args[0].value, 2114060288);
    assert_int_equal(s->rootfs_propagation, MS_SLAVE | MS_REC);
}

struct bad_case {
    const char *json;
    int code;
    const char *msg;
};

#define MIN_PROC "\"process\":{\"args\":[\"sh\"]}"
#define MIN_ROOT "\"root\":{\"path\":\"/r\"}"
#define MNT_NS   "\"namespaces\":[{\"type\":\"mount\"}]"

static const struct bad_case bad_cases[] = {
        {"[]", BT_E_INVALID, "spec: expected a JSON object"},
        {"{" MIN_PROC ",\"linux\":{" MNT_NS "}}", BT_E_INVALID, "spec: root.path: missing"},
        {"{" MIN_ROOT ",\"linux\":{" MNT_NS "}}", BT_E_INVALID, "spec: process: missing"},
        {"{" MIN_ROOT ",\"process\":{\"args\":[]},\"linux\":{" MNT_NS "}}", BT_E_INVALID,
         "spec: process.args: must name the command to run"},
        {"{" MIN_ROOT ",\"process\":{\"args\":[\"sh\",1]},\"linux\":{" MNT_NS "}}", BT_E_INVALID,
         "spec: process.args: expected an array of strings"},
        {"{" MIN_ROOT ",\"process\":{\"args\":[\"sh\"],\"cwd\":\"work\"},\"linux\":{" MNT_NS "}}",
         BT_E_INVALID, "spec: process.cwd: \"work\" is not an absolute path"},
        {"{" MIN_ROOT ",\"process\":{\"args\":[\"sh\"],\"env\":[\"NOVALUE\"]},\"linux\":{" MNT_NS
         "}}",
         BT_E_INVALID, "spec: process.env[0]: \"NOVALUE\" is not of the form NAME=value"},
        {"{" MIN_ROOT
         ",\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":\"root\"}},\"linux\":{" MNT_NS "}}",
         BT_E_INVALID, "spec: process.user.uid: expected an integer"},
        {"{" MIN_ROOT ",\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":-1}},\"linux\":{" MNT_NS
         "}}",
         BT_E_INVALID, "spec: process.user.uid: -1 is out of range"},
        {"{" MIN_ROOT ",\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":"
         "[\"CAP_FLY\"]}},\"linux\":{" MNT_NS "}}",
         BT_E_INVALID, "spec: process.capabilities.bounding: unknown capability \"CAP_FLY\""},
        {"{" MIN_ROOT ",\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_FOO\","
         "\"soft\":1,\"hard\":1}]},\"linux\":{" MNT_NS "}}",
         BT_E_INVALID, "spec: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
        {"{" MIN_ROOT ",\"process\":{\"args\":[\"sh\"],\"oomScoreAdj\":5000},\"linux\":{" MNT_NS
         "}}",
         BT_E_INVALID, "spec: process.oomScoreAdj: 5000 is out of range"},
        {"{" MIN_ROOT "," MIN_PROC ",\"mounts\":[{\"type\":\"tmpfs\"}],\"linux\":{" MNT_NS "}}",
         BT_E_INVALID, "spec: mounts[0].destination: missing"},
        {"{" MIN_ROOT "," MIN_PROC ",\"mounts\":[{\"destination\":\"tmp\",\"type\":\"tmpfs\"}],"
         "\"linux\":{" MNT_NS "}}",
         BT_E_INVALID, "spec: mounts[0].destination: \"tmp\" is not an absolute path"},
        {"{" MIN_ROOT "," MIN_PROC ",\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\"}],"
         "\"linux\":{" MNT_NS "}}",
         BT_E_INVALID, "spec: mounts[0].source: a bind mount needs one"},
        {"{" MIN_ROOT "," MIN_PROC ",\"mounts\":[{\"destination\":\"/x\",\"type\":\"tmpfs\","
         "\"options\":\"ro\"}],\"linux\":{" MNT_NS "}}",
         BT_E_INVALID, "spec: mounts[0].options: expected an array of strings"},
        {"{" MIN_ROOT "," MIN_PROC ",\"mounts\":[{\"destination\":\"/x\",\"type\":\"tmpfs\","
         "\"options\":[\"size=1,mode=777\"]}],\"linux\":{" MNT_NS "}}",
         BT_E_INVALID,
         "spec: mounts[0].options: mount option \"size=1,mode=777\": contains a comma"},
        {"{" MIN_ROOT "," MIN_PROC "}", BT_E_INVALID,
         "spec: linux.namespaces: a mount namespace is required"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\","
         "\"path\":\"/proc/1/ns/mnt\"}]}}",
         BT_E_UNSUPPORTED, "spec: linux.namespaces: joining a mount namespace is not supported"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"},"
         "{\"type\":\"pid\",\"path\":\"proc/1/ns/pid\"}]}}",
         BT_E_INVALID, "spec: linux.namespaces[1].path: \"proc/1/ns/pid\" is not an absolute path"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"},"
         "{\"type\":\"user\"}]}}",
         BT_E_UNSUPPORTED, "spec: linux.namespaces[1].type: user namespaces are not supported"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"},"
         "{\"type\":\"moon\"}]}}",
         BT_E_INVALID, "spec: linux.namespaces[1].type: unknown namespace \"moon\""},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{\"namespaces\":[{\"type\":\"mount\"},"
         "{\"type\":\"mount\"}]}}",
         BT_E_INVALID, "spec: linux.namespaces[1]: namespace \"mount\" is listed twice"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"cgroupsPath\":\"berth/x\"}}",
         BT_E_INVALID, "spec: linux.cgroupsPath: \"berth/x\" must be an absolute path"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"cgroupsPath\":\"/berth/../../x\"}}",
         BT_E_INVALID, "spec: linux.cgroupsPath: \"/berth/../../x\" must not contain \"..\""},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"cgroupsPath\":\"//\"}}", BT_E_INVALID,
         "spec: linux.cgroupsPath: a container cannot own the root cgroup"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"resources\":{\"pids\":"
         "{\"limit\":5}}}}",
         BT_E_INVALID, "spec: linux.resources: limits need linux.cgroupsPath"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"cgroupsPath\":\"/b\","
         "\"resources\":{\"memory\":{\"limit\":\"1g\"}}}}",
         BT_E_INVALID, "spec: linux.resources.memory.limit: expected an integer"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"cgroupsPath\":\"/b\","
         "\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}}}",
         BT_E_INVALID, "spec: linux.resources.devices[0].type: \"x\" is not a, b or c"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"cgroupsPath\":\"/b\","
         "\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}}",
         BT_E_INVALID, "spec: linux.resources.devices[0].access: \"rwx\" is not made of r, w, m"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"sysctl\":{\"kernel.panic\":\"1\"}}}",
         BT_E_INVALID,
         "spec: linux.sysctl: \"kernel.panic\" is not in a namespace of the container"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"sysctl\":{\"net.ipv4.ip_forward\":"
         "\"1\"}}}",
         BT_E_INVALID,
         "spec: linux.sysctl: \"net.ipv4.ip_forward\" is not in a namespace of the container"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"sysctl\":{\"net/../../x\":\"1\"}}}",
         BT_E_INVALID, "spec: linux.sysctl: invalid key \"net/../../x\""},
        {"{" MIN_ROOT "," MIN_PROC ",\"hostname\":\"h\",\"linux\":{" MNT_NS "}}", BT_E_INVALID,
         "spec: hostname: setting it needs a UTS namespace of its own"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"maskedPaths\":[\"proc/kcore\"]}}",
         BT_E_INVALID, "spec: linux.maskedPaths: \"proc/kcore\" is not an absolute path"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"devices\":[{\"path\":\"/dev/x\","
         "\"type\":\"q\"}]}}",
         BT_E_INVALID, "spec: linux.devices[0].type: \"q\" is not c, b, u or p"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"rootfsPropagation\":\"sideways\"}}",
         BT_E_INVALID, "spec: linux.rootfsPropagation: unknown propagation \"sideways\""},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"seccomp\":{\"syscalls\":[]}}}",
         BT_E_INVALID, "spec: linux.seccomp.defaultAction: missing"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"seccomp\":{\"defaultAction\":"
         "\"SCMP_ACT_NOTIFY\"}}}",
         BT_E_INVALID,
         "spec: linux.seccomp.defaultAction: unsupported seccomp action "
         "\"SCMP_ACT_NOTIFY\""},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"seccomp\":{\"defaultAction\":"
         "\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\","
         "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_ABOUT\"}]}]}}}",
         BT_E_INVALID,
         "spec: linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\""},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"seccomp\":{\"defaultAction\":"
         "\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
         BT_E_INVALID, "spec: linux.seccomp.syscalls[0].names: must name system calls"},
        {"{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS ",\"seccomp\":{\"defaultAction\":"
         "\"SCMP_ACT_ALLOW\",\"architectures\":[\"X86\"]}}}",
         BT_E_INVALID, "spec: linux.seccomp.architectures: unknown architecture \"X86\""},
};

static void test_runtime_spec_errors_name_the_member(void **state)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(json_t) j = bt_json_parse(bad_cases[i].json, strlen(bad_cases[i].json), NULL);
        if (!j)
            fail_msg("case %zu is not JSON", i);
        bt_autoptr(rt_spec) s = rt_spec_from_json(j, "/b", &err);
        if (s || !err)
            fail_msg("case %zu was accepted: %s", i, bad_cases[i].json);
        if (strcmp(bt_err_msg(err), bad_cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\"", i, bt_err_msg(err));
        assert_int_equal(bt_err_code(err), bad_cases[i].code);
    }
}

static void test_runtime_spec_minimal_gets_defaults(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(rt_spec) s = parse("{" MIN_ROOT "," MIN_PROC ",\"linux\":{" MNT_NS "}}", &err);
    assert_non_null(s);
    assert_string_equal(s->process.cwd, "/");
    assert_false(s->process.has_caps); /* no "capabilities": the caller's are kept */
    assert_false(s->process.terminal);
    assert_null(s->cgroups_path);
    assert_null(s->seccomp);
    assert_false(rt_resources_any(&s->res));
    assert_int_equal(s->rootfs_propagation, 0);
}

static void test_runtime_process_from_json_for_exec(void **state)
{
    bt_autoerr bt_err *err = NULL;
    const char *text = "{\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80},"
                       "\"args\":[\"sh\"],\"cwd\":\"/tmp\",\"user\":{\"uid\":5,\"gid\":6}}";
    bt_autoptr(json_t) j = bt_json_parse(text, strlen(text), NULL);
    bt_autoptr(rt_process) p = rt_process_from_json(j, &err);
    assert_non_null(p);
    assert_true(p->terminal);
    assert_int_equal(p->rows, 24);
    assert_int_equal(p->cols, 80);
    assert_int_equal(p->uid, 5);

    bt_autoptr(json_t) bad = bt_json_parse("[]", 2, NULL);
    assert_null(rt_process_from_json(bad, &err));
    assert_string_equal(bt_err_msg(err), "spec: process: expected an object");
}

static void test_runtime_mount_options_split_like_mount8(void **state)
{
    bt_autoerr bt_err *err = NULL;
    struct rt_mount_opts o;
    char *devpts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                      "mode=0620", "gid=5",  NULL};
    assert_int_equal(rt_mount_opts_parse(devpts, &o, &err), 0);
    assert_int_equal(o.flags, MS_NOSUID | MS_NOEXEC);
    assert_string_equal(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    assert_false(o.bind);
    rt_mount_opts_clear(&o);

    /* later options win; "rw" and "suid" clear; atime options exclude each other */
    char *mix[] = {"ro", "nosuid", "rw", "suid", "noatime", "relatime", "bind", "shared", NULL};
    assert_int_equal(rt_mount_opts_parse(mix, &o, &err), 0);
    assert_int_equal(o.flags, MS_RELATIME);
    assert_true(o.bind);
    assert_false(o.recursive);
    assert_int_equal(o.propagation, MS_SHARED);
    assert_null(o.data);
    rt_mount_opts_clear(&o);

    char *rbind[] = {"rbind", "ro", "nodev", "rslave", "", NULL};
    assert_int_equal(rt_mount_opts_parse(rbind, &o, &err), 0);
    assert_true(o.bind && o.recursive);
    assert_int_equal(o.flags, MS_RDONLY | MS_NODEV);
    assert_int_equal(o.propagation, MS_SLAVE | MS_REC);
    rt_mount_opts_clear(&o);

    assert_int_equal(rt_mount_opts_parse(NULL, &o, &err), 0);
    assert_int_equal(o.flags, 0);
    assert_int_equal(rt_propagation_flags("runbindable"), MS_UNBINDABLE | MS_REC);
    assert_int_equal(rt_propagation_flags("ro"), 0);
}

static void test_runtime_capability_names(void **state)
{
    assert_int_equal(rt_cap_from_name("CAP_CHOWN"), 0);
    assert_int_equal(rt_cap_from_name("CAP_SYS_ADMIN"), 21);
    assert_int_equal(rt_cap_from_name("cap_net_raw"), 13);
    assert_int_equal(rt_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
    assert_int_equal(rt_cap_from_name("SYS_ADMIN"), -1); /* the prefix is part of the name */
    assert_int_equal(rt_cap_from_name("CAP_FLY"), -1);
    assert_string_equal(rt_cap_name(27), "CAP_MKNOD");
    assert_null(rt_cap_name(64));

    /* Docker's 14 default capabilities are the mask `docker run` shows in CapEff. */
    uint64_t mask = 0;
    for (size_t i = 0; rt_docker_default_caps[i]; i++)
        mask |= UINT64_C(1) << rt_cap_from_name(rt_docker_default_caps[i]);
    assert_int_equal(mask, 0xa80425fb);
}

static void test_runtime_rlimit_names_and_clamp(void **state)
{
    assert_int_equal(rt_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
    assert_int_equal(rt_rlimit_from_name("RLIMIT_NPROC"), RLIMIT_NPROC);
    assert_int_equal(rt_rlimit_from_name("NOFILE"), -1);

    uint64_t soft = 1 << 20, hard = 1 << 20;
    rt_rlimit_clamp(4096, &soft, &hard); /* above the host's hard limit: the host's */
    assert_int_equal(hard, 4096);
    assert_int_equal(soft, 4096);
    soft = 100, hard = 200;
    rt_rlimit_clamp(4096, &soft, &hard); /* within it: unchanged */
    assert_int_equal(soft, 100);
    assert_int_equal(hard, 200);
    soft = 5000, hard = 1 << 20;
    rt_rlimit_clamp(4096, &soft, &hard);
    assert_int_equal(soft, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_runtime_spec_reads_a_docker_like_config),
            cmocka_unit_test(test_runtime_spec_errors_name_the_member),
            cmocka_unit_test(test_runtime_spec_minimal_gets_defaults),
            cmocka_unit_test(test_runtime_process_from_json_for_exec),
            cmocka_unit_test(test_runtime_mount_options_split_like_mount8),
            cmocka_unit_test(test_runtime_capability_names),
            cmocka_unit_test(test_runtime_rlimit_names_and_clamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
