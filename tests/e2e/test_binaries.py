# SPDX-License-Identifier: Apache-2.0
"""The programs answer --version, --help and bad command lines as a user expects."""
import os
import re
import subprocess

import harness


def run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=30)


def test_berth_version_flag(bins):
    r = run(harness.BERTH, "--version")
    assert r.returncode == 0
    assert re.fullmatch(r"Berth version \d+\.\d+\.\d+, build \w+\n", r.stdout), r.stdout
    assert r.stderr == ""


def test_berthd_version_flag(bins):
    r = run(harness.BERTHD, "--version")
    assert r.returncode == 0
    assert re.fullmatch(r"Berth version \d+\.\d+\.\d+, build \w+\n", r.stdout), r.stdout
    assert run(harness.BERTHD, "-v").stdout == r.stdout


def test_berth_help_lists_commands_and_global_options(bins):
    r = run(harness.BERTH, "--help")
    assert r.returncode == 0
    # as docker's: a blank line, then the usage
    assert r.stdout.startswith("\nUsage:  berth [OPTIONS] COMMAND")
    assert "Global Options:" in r.stdout
    assert re.search(r"^  -v, --version +Print version information and quit$", r.stdout, re.M)
    assert re.search(r"^  version +Show the Berth version information$", r.stdout, re.M)
    assert re.search(r"^  quickstart +", r.stdout, re.M)
    # -h is the same, and so is no command at all
    assert run(harness.BERTH, "-h").stdout == r.stdout
    assert run(harness.BERTH).stdout == r.stdout


def test_berthd_help(bins):
    r = run(harness.BERTHD, "--help")
    assert r.returncode == 0
    assert r.stdout.startswith("Usage:  berthd [OPTIONS]")
    assert "--version" in r.stdout


def test_berth_unknown_flag_is_a_usage_error(bins):
    r = run(harness.BERTH, "--bogus")
    assert r.returncode == 125
    assert r.stdout == ""
    assert r.stderr.startswith("unknown flag: --bogus\n\nUsage:  berth [OPTIONS] COMMAND")
    assert r.stderr.endswith("Run 'berth --help' for more information\n")


def test_berth_unknown_shorthand_and_missing_value(bins):
    r = run(harness.BERTH, "-Z")
    assert r.returncode == 125
    assert r.stderr.startswith("unknown shorthand flag: 'Z' in -Z\n")
    r = run(harness.BERTH, "--log-level")
    assert r.returncode == 125
    assert r.stderr.startswith("flag needs an argument: --log-level\n")


def test_berth_unknown_command(bins):
    r = run(harness.BERTH, "frobnicate")
    assert r.returncode == 1
    assert r.stderr == ("berth: unknown command: berth frobnicate\n\n"
                        "Run 'berth --help' for more information\n")


def test_berth_subcommand_flag_errors_name_the_subcommand(bins):
    r = run(harness.BERTH, "version", "--bogus")
    assert r.returncode == 125
    assert "Usage:  berth version [OPTIONS]" in r.stderr
    assert r.stderr.endswith("Run 'berth version --help' for more information\n")
    r = run(harness.BERTH, "version", "extra")
    assert r.returncode == 1
    assert r.stderr.startswith("berth: 'berth version' accepts no arguments\n")


def test_berth_bad_log_level(bins):
    r = run(harness.BERTH, "--log-level", "loud", "version")
    assert r.returncode == 1
    assert r.stderr == "Unable to parse logging level: loud\n"


def test_berth_version_command_shows_client(bins):
    """Without an engine, as docker: the client's part, then why there is no server part."""
    env = dict(os.environ, BERTH_HOST="unix:///nonexistent/berth.sock")
    r = subprocess.run([harness.BERTH, "version"], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert r.stdout.startswith("Client: Berth\n")
    assert re.search(r"^ API version: +1\.41$", r.stdout, re.M)
    assert re.search(r"^ OS/Arch: +linux/\w+$", r.stdout, re.M)
    assert "Server" not in r.stdout
    assert "Cannot connect to the Berth engine at unix:///nonexistent/berth.sock" in r.stderr


def test_berthd_bad_flag_and_argument(bins):
    r = run(harness.BERTHD, "--bogus")
    assert r.returncode == 1
    assert r.stderr == "unknown flag: --bogus\nSee 'berthd --help'.\n"
    r = run(harness.BERTHD, "extra")
    assert r.returncode == 1
    assert "accepts no arguments" in r.stderr


def test_berth_quickstart_says_plainly_that_the_image_is_missing(bins, tmp_path):
    """Before it creates anything: no machine, no network (tests/vm/ boot the real thing)."""
    empty = tmp_path / "no-image"
    empty.mkdir()
    env = dict(os.environ, HOME=str(tmp_path), BERTH_VM_IMAGE=str(empty))
    r = subprocess.run([harness.BERTH, "quickstart"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 1
    assert r.stdout.startswith("Checking prerequisites...\n"), r.stdout
    assert r.stderr == ("BERTH_VM_IMAGE=%s holds no Berth VM image (vmlinuz or vmlinux, and "
                        "initrd.img)\n" % empty), r.stderr
    assert not (tmp_path / ".berth" / "machines").exists()
