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
    # the claim-backed volumes stay (hotplug and guest-disk rules read them); cloud-init payloads go
    assert [v["name"] for v in vmi["spec"]["volumes"]] == [
        v["name"] for v in original["spec"]["volumes"] if "persistentVolumeClaim" in v or "dataVolume" in v]
    assert all("cloudInitNoCloud" not in v for v in vmi["spec"]["volumes"])
    root = next(v for v in vmi["status"]["volumeStatus"] if v["name"] == "rootdisk")
    assert root["target"] == "vda" and root["persistentVolumeClaimInfo"]["capacity"] == {"storage": "30Gi"}
    assert "accessModes" not in root["persistentVolumeClaimInfo"]
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


def _fresh(text: str) -> str:
    return "".join(list(text))  # an equal string that is a distinct object


def test_equal_strings_are_shared_and_values_unchanged() -> None:
    def make() -> dict:
        return {"kind": _fresh("Pod"), "metadata": {"namespace": _fresh("ns1"), "labels": {"a": _fresh("x" * 30)},
                                                    "ownerReferences": [{"uid": _fresh("u" * 36), "kind": "RS"}],
                                                    "finalizers": [_fresh("f" * 20)]},
                "status": {"phase": _fresh("Running"), "conditions": [
                    {"type": _fresh("Ready"), "lastTransitionTime": _fresh("2026-11-20T09:00:00Z")}]},
                "spec": {"deep": _fresh("untouched")}}
    pool = StringPool()
    a, b = make(), make()
    expected = copy.deepcopy(a)
    assert a["status"]["phase"] is not b["status"]["phase"]
    pool.share(a)
    pool.share(b)
    assert a == b == expected
    for get in (lambda o: o["status"]["phase"], lambda o: o["metadata"]["namespace"],
                lambda o: o["metadata"]["labels"]["a"], lambda o: o["metadata"]["ownerReferences"][0]["uid"],
                lambda o: o["metadata"]["finalizers"][0], lambda o: o["status"]["conditions"][0]["lastTransitionTime"]):
        assert get(a) is get(b)


def test_loaded_samples_share_strings() -> None:
    snap = load_dump(SAMPLES, at=datetime(2026, 11, 20, tzinfo=UTC))
    phases = [vm["status"]["printableStatus"] for vm in snap.kind("VirtualMachine")
              if vm.get("status", {}).get("printableStatus") == "Running"]
    assert len(phases) >= 2 and all(p is phases[0] for p in phases)
