"""What loading drops and shares: pinned, so a rule that needs a dropped field has to say so here."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import yaml

from virt_doctor.sources.compact import PRUNE, StringPool
from virt_doctor.sources.load import load_dump

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


def test_the_prune_table_is_pinned() -> None:
    assert sorted(PRUNE) == ["Pod", "Secret", "VirtualMachine", "VirtualMachineInstance"]


def test_vmi_keeps_what_rules_read() -> None:
    vmi = yaml.safe_load((SAMPLES / "VirtualMachineInstance/ocp411-fedora-basic-running-livemigrate-not-migratable.yaml")
                         .read_text())
    original = copy.deepcopy(vmi)
    PRUNE["VirtualMachineInstance"](vmi)
    assert vmi["spec"]["evictionStrategy"] == original["spec"]["evictionStrategy"]
    assert vmi["spec"]["networks"] == original["spec"]["networks"]
    assert vmi["spec"]["domain"]["devices"] == {"interfaces": original["spec"]["domain"]["devices"]["interfaces"]}
    assert "volumes" not in vmi["spec"] and "volumeStatus" not in vmi["status"]
    assert vmi["status"]["conditions"] == original["status"]["conditions"]
    assert vmi["metadata"] == original["metadata"]


def test_pod_keeps_images_resources_and_states() -> None:
    pod = yaml.safe_load((SAMPLES / "Pod/virt-launcher-ocp411-fedora-basic-running.yaml").read_text())
    before = pod["spec"]["containers"][0]
    kept = {k: before[k] for k in ("name", "image", "resources")}
    PRUNE["Pod"](pod)
    after = pod["spec"]["containers"][0]
    assert {k: after[k] for k in kept} == kept
    assert "command" not in after and "env" not in after and "volumeMounts" not in after


def test_equal_strings_are_shared_and_values_unchanged() -> None:
    pool = StringPool()
    a = {"status": {"phase": "".join(["Run", "ning"])}, "list": ["x" * 30, {"k": "y" * 30}]}
    b = {"status": {"phase": "".join(["Ru", "nning"])}, "list": ["x" * 30, {"k": "y" * 30}]}
    expected = copy.deepcopy(a)
    assert a["status"]["phase"] is not b["status"]["phase"]
    pool.share(a)
    pool.share(b)
    assert a == b == expected
    assert a["status"]["phase"] is b["status"]["phase"]
    assert a["list"][1]["k"] is b["list"][1]["k"]


def test_loaded_samples_share_strings() -> None:
    snap = load_dump(SAMPLES, at=datetime(2026, 11, 20, tzinfo=UTC))
    phases = [vm["status"]["printableStatus"] for vm in snap.kind("VirtualMachine")
              if vm.get("status", {}).get("printableStatus") == "Running"]
    assert len(phases) >= 2 and all(p is phases[0] for p in phases)
