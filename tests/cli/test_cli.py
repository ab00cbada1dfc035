"""The CLI: exit codes 0/1/2, the JSON contracts, one-line errors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SimulateFn
from virt_doctor.catalog import load_catalog
from virt_doctor.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_scan_exit_codes_and_json_contract(simulated: SimulateFn) -> None:
    healthy, _ = simulated()
    code, out, _ = run("scan", "--from", str(healthy), "-o", "json")
    assert code == 0
    report = json.loads(out)
    assert report["schema"] == "virt-doctor/report/v1"
    assert report["findings"] == []
    assert len(report["coverage"]) == len(load_catalog())
    assert report["source"]["type"] == "dump" and report["evaluated_at"] == "2026-11-20T09:14:03Z"

    broken, cluster = simulated(["handler-crashloop", "vm-invalid-spec"])
    code, out, _ = run("scan", "--from", str(broken), "-o", "json")
    assert code == 1
    report = json.loads(out)
    alerts = {(f["alert"], f["cause"]["id"]) for f in report["findings"]}
    assert ("OrphanedVirtualMachineInstances", "virt-handler-daemonset-unhealthy") in alerts
    assert ("VirtualMachineStuckInUnhealthyState", "invalid-spec") in alerts
    finding = report["findings"][0]
    assert set(finding) >= {"id", "alert", "severity", "state", "since", "subject", "labels", "summary", "cause",
                            "evidence", "remediation", "runbook"}
    assert set(finding["subject"]) == {"kind", "namespace", "name"}
    assert set(finding["cause"]) == {"id", "title", "confidence"}
    assert {"object", "path", "value", "note"} == set(finding["evidence"][0])
    assert {"id", "title", "command", "risk", "action"} == set(finding["remediation"][0])  # action: null by hand
    assert all(c["status"] in ("evaluated", "skipped") for c in report["coverage"])


def test_scan_human_formats(simulated: SimulateFn) -> None:
    path, _ = simulated(["handler-crashloop"])
    code, out, _ = run("scan", "--from", str(path))
    assert code == 1
    assert "OrphanedVirtualMachineInstances" in out and "CrashLoopBackOff" in out and "kubectl" in out
    code, out, _ = run("scan", "--from", str(path), "-o", "markdown")
    assert out.startswith("# virt-doctor scan") and "| 1 | warning | DaemonSet openshift-cnv/virt-handler: " in out
    assert "## Problem 1: DaemonSet openshift-cnv/virt-handler" in out and "*In this problem:* " in out
    code, out, _ = run("scan", "--from", str(path), "-o", "yaml")
    assert "schema: virt-doctor/report/v1" in out
    code, out, _ = run("scan", "--from", str(path), "-o", "wide")
    assert "to confirm:" in out and "Not evaluated" in out
    assert "in this problem: The virt-handler DaemonSet cannot run a healthy pod on the node (Node " in out


def test_scan_filters(simulated: SimulateFn, tmp_path: Path) -> None:
    path, cluster = simulated(["handler-crashloop", "vm-invalid-spec"])
    vm_ns = next(i.namespace for i in cluster.injected if i.kind == "VirtualMachine")
    code, out, _ = run("scan", "--from", str(path), "-o", "json", "-n", vm_ns)
    assert {f["subject"]["namespace"] for f in json.loads(out)["findings"]} == {vm_ns}
    code, out, _ = run("scan", "--from", str(path), "-o", "json", "--alert", "virthandlerdown")
    assert [c["alert"] for c in json.loads(out)["coverage"]] == ["VirtHandlerDown"]
    target = tmp_path / "reports" / "r.json"
    code, out, _ = run("scan", "--from", str(path), "-o", "json", "--out", str(target))
    assert code == 1 and out == "" and json.loads(target.read_text())["findings"]


@pytest.mark.parametrize(("args", "message"), [
    (["scan", "--from", "/nonexistent/dump"], "/nonexistent/dump: no such file or directory"),
    (["scan", "--kubeconfig", "/nonexistent/config"], "/nonexistent/config: no kubeconfig (give --kubeconfig"),
    # arguments are checked before the source is read: these would otherwise fail on the path
    (["scan", "--from", "/nonexistent", "--at", "yesterday"], "--at 'yesterday' is not an RFC 3339 time"),
    (["scan", "--from", "/nonexistent", "-n", "x", "-A"], "exclude each other"),
    (["scan", "--from", "/nonexistent", "--alert", "NoSuchAlert"], "unknown alert 'NoSuchAlert'"),
    (["explain", "VirtHandlerDwn"], "did you mean VirtHandlerDown"),
    (["simulate", "--out", "x", "--fault", "no-such-fault"], "unknown fault 'no-such-fault'"),
    (["simulate", "--out", "x", "--fault-age", "soon"], "--fault-age 'soon' is not a duration"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


def test_scan_of_a_tree_without_objects_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    code, _, err = run("scan", "--from", str(tmp_path))
    assert code == 2 and "no Kubernetes objects found" in err


def test_list_and_explain_contracts() -> None:
    code, out, _ = run("list", "-o", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == len(load_catalog())
    assert all(set(r) == {"name", "severity", "component", "summary", "versions"} for r in rows)
    versions = {r["name"]: r["versions"] for r in rows}
    # removed in v1.6.0 and, within the 1.5 line, in v1.5.2; added in v1.9.0 and backported to v1.8.4 (the tags)
    assert versions["VirtApiRESTErrorsHigh"] == {"shipped_by": "kubevirt", "removed": "v1.6.0, v1.5.2"}
    assert versions["NoReadyVirtAPI"] == {"shipped_by": "kubevirt", "introduced": "v1.9.0, v1.8.4"}
    assert versions["KubeMacPoolDuplicateMacsFound"] == {"shipped_by": "cluster-network-addons-operator",
                                                         "removed": "v0.102.0",
                                                         "replaced_by": "KubemacpoolMACCollisionDetected"}
    code, out, _ = run("explain", "VirtApiRESTErrorsHigh")
    assert code == 0 and "Versions: kubevirt: removed v1.6.0 (in the v1.5 line: v1.5.2)" in out
    code, out, _ = run("explain", "VirtualMachineStuckOnNode", "-o", "json")
    entry = json.loads(out)
    assert entry["name"] == "VirtualMachineStuckOnNode" and entry["for"] == "5m"
    assert {c["id"] for c in entry["causes"]} >= {"node-not-ready", "node-resource-pressure", "image-pull-failure",
                                                 "volume-mount-failure", "virt-launcher-not-ready",
                                                 "virt-handler-missing", "stuck-termination", "kvm-unavailable"}
    code, out, _ = run("explain", "VirtualMachineStuckOnNode", "-o", "markdown")
    assert out.startswith("# VirtualMachineStuckOnNode") and "```bash" in out
    code, out, _ = run("explain", "VirtualMachineStuckOnNode")
    assert "Mitigation" in out and "[destructive]" in out
    code, out, _ = run("list")
    assert "VMStorageClassWarning" in out


def test_simulate_writes_a_must_gather_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out_dir = tmp_path / "cluster-1"
    code, _, err = run("simulate", "--nodes", "2", "--vms", "4", "--fault", "orphaned-vmi", "--out", str(out_dir))
    assert code == 0 and "OrphanedVirtualMachineInstances" in err
    assert (out_dir / "timestamp").read_text().startswith("2026-11-20 09:14:03")
    assert list(out_dir.glob("*/namespaces/*/kubevirt.io/virtualmachines/*/*.yaml"))
    code, _, err = run("simulate", "--out", str(out_dir))
    assert code == 2 and "exists and is not empty" in err
    code, out, _ = run("simulate", "--list-faults")
    assert code == 0 and "handler-crashloop (alias orphaned-vmi)" in out
    archive = tmp_path / "c.tar.gz"
    code, _, _ = run("simulate", "--vms", "2", "--out", str(archive), "--format", "json")
    assert code == 0 and archive.is_file()
    code, out, _ = run("scan", "--from", str(archive), "-o", "json")
    assert code == 0 and json.loads(out)["source"]["location"] == str(archive)


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("virt-doctor ")
    code, out, _ = run("scan", "--help")
    assert "--from" in out and "Exit status" in out


def test_a_tree_of_only_malformed_objects_says_why_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: just-a-name\n")
    (tmp_path / "b.yaml").write_text("apiVersion: v1\nmetadata: {name: x}\n")
    code, _, err = run("scan", "--from", str(tmp_path), "--at", "2026-11-20T09:00:00Z")
    assert code == 2
    assert "no Kubernetes objects found" in err and "metadata that is a str" in err and "(and 1 more)" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("columns", [80, 100, 160])
def test_tables_never_split_a_name_at_any_width(columns: int) -> None:
    """Piped at COLUMNS wide: every alert name and problem (with its object reference) is whole on one line of
    the summary (a table where it fits, else one entry per block), and no line is wider than COLUMNS."""
    import os
    import subprocess
    import sys

    example = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"
    cli = Path(sys.executable).parent / "virt-doctor"
    env = {**os.environ, "COLUMNS": str(columns)}
    report = json.loads(subprocess.run([str(cli), "scan", "--from", str(example), "-o", "json"], capture_output=True,
                                       text=True, check=False, env=env).stdout)
    out = subprocess.run([str(cli), "scan", "--from", str(example)], capture_output=True, text=True, check=False,
                         env=env).stdout
    summary = out.split("━━")[0].splitlines()
    words = {w.strip(",:") for line in summary for w in line.split()}
    for problem in report["problems"]:
        for word in problem["title"].split():
            assert word.strip(",:") in words, (columns, word)
    assert {f["alert"] for f in report["findings"]} <= words
    assert max(len(line.rstrip()) for line in out.splitlines()) <= columns
    listed = subprocess.run([str(cli), "list"], capture_output=True, text=True, check=False, env=env).stdout
    names = {w for line in listed.splitlines() for w in line.split()}
    from virt_doctor.catalog import load_catalog

    assert {e.name for e in load_catalog()} <= names and "…" not in listed
    assert all(len(line.rstrip()) <= columns for line in listed.splitlines())


def test_every_report_format_shows_the_id_fix_takes(simulated: SimulateFn) -> None:
    path, _ = simulated(["handler-taint"])
    report = json.loads(run("scan", "--from", str(path), "-o", "json")[1])
    finding = next(f for f in report["findings"] if f["alert"] == "OrphanedVirtualMachineInstances")
    short = finding["id"][:12]
    for output in ("table", "wide", "markdown"):
        code, out, _ = run("scan", "--from", str(path), "-o", output)
        assert short in out and f"virt-doctor fix {short} --step remove-taint" in out, output
    code, out, _ = run("diagnose", "OrphanedVirtualMachineInstances", "--from", str(path),
                       "-l", f"node={finding['subject']['name']}")
    assert code == 1 and f"[{short}]" in out
    code, out, err = run("fix", short, "--from", str(path))
    assert code == 0, err
    # the command a person pastes removes exactly that taint, not every taint the node has by then
    taint = next(e["value"] for e in finding["evidence"] if e["path"] == "spec.taints")
    assert f"kubectl taint nodes {finding['subject']['name']} {taint}-" in out
    assert '"taints":null' not in out.split("kubectl:")[1]
    # what the action rests on is shown with it, however far down the evidence it is
    node = finding["subject"]["name"]
    assert f"    rests on: Node/{node} spec.taints = {taint}" in out
    assert finding["evidence"].index(next(e for e in finding["evidence"] if e["path"] == "spec.taints")) >= 3


def test_an_alert_named_but_not_evaluated_is_not_reported_healthy(simulated: SimulateFn) -> None:
    """Named and not evaluable (a metric alert with no Prometheus): said first, with the reason, exit 3 — not 0."""
    path, _ = simulated([])
    code, out, err = run("scan", "--from", str(path), "--alert", "VirtApiRESTErrorsBurst")
    assert code == 3
    assert "VirtApiRESTErrorsBurst was not evaluated: needs Prometheus (--prometheus)" in err
    assert "Nothing was evaluated: VirtApiRESTErrorsBurst: needs Prometheus" in out and "No alert condition" not in out
    code, out, err = run("diagnose", "VirtApiRESTErrorsBurst", "--from", str(path))
    assert code == 3 and "was not evaluated" in err and out.startswith("virt-doctor diagnose ·")
    # a whole scan of a healthy cluster: quiet is 0, and it says how many alerts it could not judge
    code, out, _ = run("scan", "--from", str(path))
    report = json.loads(run("scan", "--from", str(path), "-o", "json")[1])
    skipped = sum(1 for c in report["coverage"] if c["status"] != "evaluated")
    assert code == 0 and skipped > 0
    assert (f"No alert condition holds among the {len(report['coverage']) - skipped} alerts evaluated; {skipped} "
            "alerts not evaluated (-o wide shows why).") in out


def test_at_before_or_far_after_the_collection_is_warned(simulated: SimulateFn) -> None:
    path, cluster = simulated(["handler-crashloop"])
    collected = cluster.at
    code, _, err = run("scan", "--from", str(path), "--at", (collected - timedelta(hours=2)).isoformat())
    assert "is before the dump was collected" in err and code in (0, 1)
    code, _, err = run("scan", "--from", str(path), "--at", (collected + timedelta(days=40)).isoformat())
    assert "d after the dump was collected" in err and "judged as if it had held all that time" in err
    code, _, err = run("scan", "--from", str(path), "--at", (collected + timedelta(minutes=5)).isoformat())
    assert "collected" not in err


def test_small_things_a_first_hour_meets(simulated: SimulateFn, tmp_path: Path) -> None:
    """JSON leads with the findings (not 85 coverage lines); PromQL is never shown as a shell command; a metric
    fault says what it needs to be seen; `--version` needs no library."""
    path, _ = simulated(["handler-crashloop"])
    _, out, _ = run("scan", "--from", str(path), "-o", "json")
    keys = list(json.loads(out))
    assert keys.index("findings") < keys.index("problems") < keys.index("coverage")
    _, out, _ = run("explain", "VMStorageClassWarning")
    assert "PromQL: kubevirt_ssp_vm_rbd_block_volume_without_rxbounce == 1" in out
    assert "$ kubevirt_ssp" not in out
    _, _, err = run("simulate", "--fault", "guest-disk-full", "--out", str(tmp_path / "d"))
    assert "guest-disk-full: metric fault — add --metrics for its history, then scan with --prometheus" in err
    import subprocess
    import sys

    cli = Path(sys.executable).parent / "virt-doctor"
    probe = subprocess.run([sys.executable, "-X", "importtime", "-c",
                            "import sys; sys.argv = ['virt-doctor', '--version']; "
                            "from virt_doctor.cli.main import main; main()"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.startswith("virt-doctor ") and "typer" not in probe.stderr and "rich" not in probe.stderr
    assert subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True).stdout == probe.stdout


def test_help_shows_names_not_python_types() -> None:
    for command in ("scan", "diagnose", "fix", "simulate", "explain"):
        code, out, _ = run(command, "--help")
        assert code == 0
        options = out[out.index("Options"):]
        assert not [line for line in options.splitlines() if "<bool>" in line or "<list[" in line], command
        assert "{alert}" not in out, command


@pytest.mark.parametrize("command", ["scan", "diagnose", "collect", "serve", "fix", "simulate"])
def test_help_text_wraps_to_the_terminal_not_to_the_source(command: str) -> None:
    """At 80 columns a command's description is wrapped once, by the terminal: no line of a paragraph ends short
    because the docstring had a line break there (Typer keeps a later paragraph's breaks)."""
    import os
    import subprocess
    import sys

    cli = Path(sys.executable).parent / "virt-doctor"
    out = subprocess.run([str(cli), command, "--help"], capture_output=True, text=True, check=True,
                         env={**os.environ, "COLUMNS": "80"}).stdout
    described = [line.strip() for line in out[:out.index("╭─")].splitlines()[3:]]  # after the usage line
    for line, after in zip(described, [*described[1:], ""], strict=True):
        if line and after:  # a line with more of its paragraph after it is filled to near the width
            assert len(line) + len(after.split()[0]) >= 76, (command, line)


def test_a_format_not_offered_is_named_with_the_ones_that_are() -> None:
    code, out, err = run("list", "-o", "xml")
    said = " ".join(word for word in (out + err).split() if word != "│")  # the panel's borders aside
    assert code == 2 and "'xml': give one of table, wide, json, yaml, markdown" in said and "Value error" not in said
    code, out, _ = run("list", "-o", "JSON")
    assert code == 0 and json.loads(out)[0]["name"]
