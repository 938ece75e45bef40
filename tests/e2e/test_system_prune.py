# SPDX-License-Identifier: Apache-2.0
"""docker system prune and docker builder prune through the docker CLI: every unused
container, network, image and (with --volumes) volume goes; the build cache step, the last of
system prune, answers as dockerd's classic builder does (nothing kept apart from images)."""


def test_system_prune_all_with_volumes_leaves_only_what_is_used(engine, busybox_tar):
    d = engine.docker
    assert d("import", busybox_tar, "busybox").returncode == 0
    assert d("run", "--name", "done", "--network", "none", "busybox", "true").returncode == 0
    assert d("run", "-d", "--name", "busy", "--network", "none", "busybox",
             "sleep", "1000").returncode == 0
    assert d("network", "create", "unused-net").returncode == 0
    assert d("volume", "create", "unused-vol").returncode == 0
    want = d("inspect", "-f", "{{.Image}}", "busy").stdout.strip()
    assert d("tag", "busybox", "spare:1").returncode == 0
    r = d("system", "prune", "-a", "--volumes", "-f")
    assert r.returncode == 0, r.stderr
    assert "Deleted Containers:" in r.stdout and "Deleted Networks:" in r.stdout, r.stdout
    assert "unused-net" in r.stdout and "unused-vol" in r.stdout, r.stdout
    assert "Total reclaimed space:" in r.stdout, r.stdout
    assert d("ps", "-a", "--format", "{{.Names}}").stdout.split() == ["busy"]
    # the running container's image is kept (as dockerd does, its tags are removed in order
    # but the last, which a container's image cannot lose without -f)
    r = d("images", "-q", "--no-trunc")
    assert r.stdout.split() == [want], r.stdout
    assert "unused-net" not in d("network", "ls").stdout
    assert d("volume", "ls", "-q").stdout == ""
    assert d("rm", "-f", "busy").returncode == 0


def test_builder_prune_reclaims_nothing_and_checks_its_filters(engine):
    r = engine.docker("builder", "prune", "-f")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Total reclaimed space: 0B", r.stdout
    r = engine.docker("builder", "prune", "-f", "--filter", "foo=bar")
    assert r.returncode == 1 and "invalid filter 'foo'" in r.stderr, r.stderr
