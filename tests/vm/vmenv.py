# SPDX-License-Identifier: Apache-2.0
"""What the vm tests share: a private libvirtd in a test's network namespace.

libvirtd and virtlogd run inside the namespace with a private mount namespace in which
libvirt's run, state, cache and log directories are fresh tmpfs mounts and /etc/libvirt is the
test's own, so nothing of the machine's libvirt is read or touched. The daemons' PIDs come from
their pid files, for stop_libvirtd()."""
import os
import signal
import subprocess
import time


def start_libvirtd(netns_path, directory, qemu_conf=""):
    """Start libvirtd (and virtlogd) in the namespace at netns_path, with state under directory
    and qemu_conf as its /etc/libvirt/qemu.conf. Returns (uri, pid_files)."""
    etc = os.path.join(directory, "etc")
    sock = os.path.join(directory, "sock")
    os.makedirs(etc, exist_ok=True)
    os.makedirs(sock, mode=0o700, exist_ok=True)  # libvirtd does not make it
    with open(os.path.join(etc, "qemu.conf"), "w") as f:
        f.write(qemu_conf)
    conf = os.path.join(directory, "libvirtd.conf")
    log = os.path.join(directory, "libvirtd.log")
    with open(conf, "w") as f:
        f.write('unix_sock_dir = "%s"\nunix_sock_rw_perms = "0700"\nauth_unix_rw = "none"\n'
                'auth_unix_ro = "none"\nlog_outputs = "3:file:%s"\n' % (sock, log))
    pids = [os.path.join(directory, "virtlogd.pid"), os.path.join(directory, "libvirtd.pid")]
    script = """set -e
mount -t tmpfs tmpfs /run/libvirt
mount -t tmpfs tmpfs /var/lib/libvirt
mount -t tmpfs tmpfs /var/cache/libvirt
mount -t tmpfs tmpfs /var/log/libvirt
mount --bind {etc} /etc/libvirt
virtlogd -d -p {p0}
libvirtd -d -f {conf} -p {p1}
""".format(etc=etc, conf=conf, p0=pids[0], p1=pids[1])
    subprocess.run(["nsenter", "--net=" + netns_path, "unshare", "--mount", "--propagation",
                    "private", "sh", "-c", script], check=True, capture_output=True)
    path = os.path.join(sock, "libvirt-sock")
    deadline = time.monotonic() + 20
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            text = open(log).read()[-3000:] if os.path.exists(log) else ""
            raise AssertionError("libvirtd did not make %s in 20 s; its log:\n%s" % (path, text))
        time.sleep(0.1)
    return "qemu+unix:///system?socket=" + path, pids


def stop_libvirtd(pid_files):
    """End the daemons start_libvirtd() started, by the PIDs in their pid files."""
    for path in reversed(pid_files):
        try:
            pid = int(open(path).read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        for _ in range(50):
            if not os.path.exists("/proc/%d" % pid):
                break
            time.sleep(0.1)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
