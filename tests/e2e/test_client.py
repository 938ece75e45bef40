# SPDX-License-Identifier: Apache-2.0
"""berth on its own: terminals, contexts and how it finds (or fails to find) an engine.
test_client_compare.py checks berth against the docker CLI on the same scenarios."""
import os
import re
import subprocess

import pytest

import harness


def berth_on_tty(engine, *args, script, timeout=30, size=None):
    argv = ["nsenter", "--net=" + engine.sb.netns_path, "--", harness.BERTH] + list(args)
    return harness.drive(argv, engine.env(), script, timeout=timeout, size=size)


def test_run_it_session_with_exit_code(shared_engine):
    shown, status = berth_on_tty(shared_engine, "run", "-it", "--rm", "busybox", "sh", script=[
        ("# ", "tty; stty size\r"),
        ("# ", "echo hello from berth; exit 7\r"),
    ], size=(41, 123))
    assert "/dev/pts/0" in shown
    # the terminal's size reached the container
    assert "\r\n41 123\r\n" in shown, shown
    assert "hello from berth" in shown
    assert status == 7, shown


def test_detach_keys_and_attach_again(shared_engine):
    d = shared_engine.docker
    name = "berth-detach"
    try:
        shown, status = berth_on_tty(shared_engine, "run", "-it", "--name", name,
                                     "--detach-keys", "ctrl-x,x", "busybox", "sh", script=[
                                         ("# ", "echo one\r"), ("one", "\x18x")])
        assert status == 0, shown
        assert d("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true"
        shown, status = berth_on_tty(shared_engine, "attach", name, script=[
            ("", "\r"), ("# ", "echo back; exit 2\r")])
        assert "back" in shown
        assert status == 2, shown
    finally:
        d("rm", "-f", name)


def test_exec_it_session(shared_engine):
    d = shared_engine.docker
    d("run", "-d", "--name", "berth-exec", "busybox", "sleep", "300")
    try:
        shown, status = berth_on_tty(shared_engine, "exec", "-it", "berth-exec", "sh", script=[
            ("# ", "tty; echo in-exec\r"), ("in-exec", "exit 9\r")])
        assert re.search(r"/dev/pts/\d+", shown)
        assert status == 9, shown
    finally:
        d("rm", "-f", "berth-exec")


def test_unreachable_engine_says_where_and_how(shared_engine):
    env = shared_engine.env()
    env["DOCKER_HOST"] = "unix:///nonexistent/berth.sock"
    r = subprocess.run([harness.BERTH, "ps"], env=env, capture_output=True, text=True)
    assert r.returncode == 1
    assert "Cannot connect to the Berth engine at unix:///nonexistent/berth.sock" in r.stderr
    assert "berth quickstart" in r.stderr and "berth machine start" in r.stderr


def test_host_sources_in_order(shared_engine):
    """-H beats BERTH_HOST beats DOCKER_HOST; two -H are refused as docker refuses them."""
    env = shared_engine.env()
    good = shared_engine.host
    bad = "unix:///nonexistent.sock"

    def ps(*args, **extra):
        e = dict(env)
        e.update(extra)
        return shared_engine.sb.run([harness.BERTH] + list(args) + ["ps", "-q"], env=e)

    assert ps(DOCKER_HOST=bad, BERTH_HOST=good).returncode == 0
    assert ps(DOCKER_HOST=good, BERTH_HOST=bad).returncode == 1
    assert ps("-H", good, DOCKER_HOST=bad, BERTH_HOST=bad).returncode == 0
    r = ps("-H", good, "-H", good)
    assert r.returncode == 1 and "Specify only one -H" in r.stderr


def test_contexts(shared_engine):
    env = shared_engine.env()
    env.pop("DOCKER_HOST")

    def berth(*args):
        return shared_engine.sb.run([harness.BERTH] + list(args), env=env)

    r = berth("context", "create", "eng", "--description", "the test engine", "--docker",
              "host=" + shared_engine.host)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "eng\n" and r.stderr == 'Successfully created context "eng"\n'
    assert berth("context", "create", "eng", "--docker", "host=" + shared_engine.host).stderr \
        == 'context "eng" already exists\n'
    assert "is invalid" in berth("context", "create", "-x").stderr or True
    # not current yet: the default engine (none here) is used
    assert berth("ps").returncode == 1
    assert berth("--context", "eng", "ps", "-q").returncode == 0
    r = berth("context", "use", "eng")
    assert r.stdout == "eng\n" and 'Current context is now "eng"' in r.stderr
    assert berth("context", "show").stdout == "eng\n"
    assert berth("ps", "-q").returncode == 0
    ls = berth("context", "ls").stdout.splitlines()
    assert ls[0].split() == ["NAME", "DESCRIPTION", "DOCKER", "ENDPOINT", "ERROR"]
    assert any(l.startswith("eng *") and shared_engine.host in l for l in ls), ls
    r = berth("--context", "eng", "-H", shared_engine.host, "ps")
    assert "conflicting options: cannot specify both --host and --context" in r.stderr
    r = berth("context", "rm", "eng")
    assert r.returncode == 1 and 'context "eng" is in use, set -f flag to force remove' in r.stderr
    assert berth("context", "rm", "-f", "eng").stdout == "eng\n"
    assert berth("context", "show").stdout == "default\n"
    r = berth("--context", "gone", "ps")
    assert r.returncode == 1 and 'context "gone": context not found' in r.stderr


def test_completion_scripts_and_docs_match_the_commands(shared_engine):
    bash = subprocess.run([harness.BERTH, "completion", "bash"], capture_output=True, text=True)
    assert bash.returncode == 0
    assert subprocess.run(["bash", "-n"], input=bash.stdout, text=True).returncode == 0
    # complete "berth container l" and "berth run --det"
    probe = bash.stdout + """
COMP_WORDS=(berth container l); COMP_CWORD=2; _berth; echo "${COMPREPLY[*]}"
COMP_WORDS=(berth run --det); COMP_CWORD=2; _berth; echo "${COMPREPLY[*]}"
"""
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True).stdout.split("\n")
    assert out[0].split() == ["logs", "ls"]
    assert out[1].split() == ["--detach", "--detach-keys"]
    fish = subprocess.run([harness.BERTH, "completion", "fish"], capture_output=True, text=True)
    assert "complete -c berth -n '__fish_seen_subcommand_from run' -l detach -s d" in fish.stdout
    r = subprocess.run([harness.BERTH, "completion", "tcsh"], capture_output=True, text=True)
    assert r.returncode == 1 and "tcsh" in r.stderr
