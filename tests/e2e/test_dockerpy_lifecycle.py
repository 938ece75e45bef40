# SPDX-License-Identifier: Apache-2.0
"""The container lifecycle through docker-py (Debian's python3-docker), as Python tools drive
it: top (with ps options), pause and unpause (the status docker-py reads), and commit with a
message, an author, changes and the pause it does by default."""
import time
import uuid

import pytest

docker = pytest.importorskip("docker", reason="python3-docker is not installed "
                             "(installer/packages/test.txt); run with /usr/bin/python3")


@pytest.fixture
def client(shared_engine):
    c = docker.DockerClient(base_url=shared_engine.host, version="auto", timeout=60)
    yield c
    c.close()


@pytest.fixture
def ctr(client):
    name = "py-%s" % uuid.uuid4().hex[:10]
    c = client.containers.run("busybox", ["sh", "-c", "echo made > /made; exec sleep 1000"],
                              name=name, detach=True, network_mode="none")
    # the shell writes /made after the start returned: wait for it (a slow machine, or the
    # sanitizer build, commits before it otherwise)
    deadline = time.monotonic() + 30
    while c.exec_run(["test", "-f", "/made"]).exit_code != 0:
        assert time.monotonic() < deadline, "the container never wrote /made"
        time.sleep(0.05)
    yield c
    c.remove(force=True)


def test_top_lists_the_processes_with_ps_options(ctr):
    top = ctr.top()
    assert "CMD" in top["Titles"] and "PID" in top["Titles"], top
    cmds = [p[top["Titles"].index("CMD")] for p in top["Processes"]]
    assert cmds == ["sleep 1000"], top
    top = ctr.top(ps_args="-o pid,comm")
    assert top["Titles"] == ["PID", "COMMAND"], top
    assert [p[1] for p in top["Processes"]] == ["sleep"], top


def test_pause_and_unpause_show_in_the_status(ctr):
    ctr.pause()
    ctr.reload()
    assert ctr.status == "paused" and ctr.attrs["State"]["Paused"] is True
    ctr.unpause()
    ctr.reload()
    assert ctr.status == "running" and ctr.attrs["State"]["Paused"] is False


def test_commit_with_message_author_and_changes(client, ctr):
    repo = "py-committed-%s" % uuid.uuid4().hex[:8]
    img = ctr.commit(repository=repo, tag="v1", message="from docker-py", author="Ann <a@x>",
                     changes=['ENV GREETING=hi', 'CMD ["cat", "/made"]'])
    try:
        assert img.attrs["Comment"] == "from docker-py"
        assert img.attrs["Author"] == "Ann <a@x>"
        assert "GREETING=hi" in img.attrs["Config"]["Env"]
        assert img.tags == [repo + ":v1"]
        out = client.containers.run(repo + ":v1", remove=True, network_mode="none")
        assert out == b"made\n"
        # the default pause left the container running
        ctr.reload()
        assert ctr.status == "running"
    finally:
        client.images.remove(repo + ":v1", force=True)
