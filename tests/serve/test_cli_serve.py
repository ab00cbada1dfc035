"""`virt-doctor serve` refuses bad input before it listens: one line naming the option, exit 2, no secret shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve.conftest import EXAMPLE

VIRT_DOCTOR = Path(sys.executable).parent / "virt-doctor"


@pytest.mark.parametrize(("args", "says"), [
    (["--from", "/nonexistent"], "--from /nonexistent: no such file or directory"),
    (["--db", "postgresql://vd:hunter2@127.0.0.1:1/x"], "--db postgresql://vd:***@127.0.0.1:1/x: cannot open"),
    (["--db", "mysql://h/db"], "only SQLite and PostgreSQL are supported"),
    (["--webhook-token-file", "/nonexistent-token"], "/nonexistent-token: cannot read"),
    (["--webhook-token-file", "T", "--webhook-basic-auth-file", "B"], "not both"),
    (["--leader-elect"], "--leader-elect needs the live cluster"),
    (["--fix-policy", "/nonexistent-policy"], "act on the live cluster, not on --from"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    argv = [str(VIRT_DOCTOR), "serve", "--db", str(tmp_path / "db"), "--from", str(EXAMPLE), "--port", "1", *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: sekrit-token-value}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


@pytest.mark.parametrize(("args", "says"), [
    ([], "--leader-elect: give --leader-elect-resource-namespace (or POD_NAMESPACE)"),
    (["--leader-elect-resource-namespace", "vd", "--leader-elect-renew-deadline", "20s"],
     "need retry (2s) < renew deadline (20s) < lease duration (15s)"),
])
def test_bad_leader_election_settings_are_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    argv = [str(VIRT_DOCTOR), "serve", "--kubeconfig", str(tmp_path / "kubeconfig"), "--db", str(tmp_path / "db"),
            "--port", "1", "--leader-elect", *args]
    env = {k: v for k, v in os.environ.items() if k != "POD_NAMESPACE"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in done.stderr
    assert "sekrit" not in done.stderr
