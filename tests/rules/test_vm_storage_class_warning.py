"""VMStorageClassWarning over hand-made objects: which VM, claim and class it names, and what keeps it quiet."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from virt_doctor.rules.engine import evaluate
from virt_doctor.snapshot import Snapshot, SourceInfo

AT = datetime(2026, 11, 20, tzinfo=UTC)
ALERT = "VMStorageClassWarning"


def storage_class(name: str, map_options: str | None) -> dict[str, Any]:
    params = {"clusterID": "openshift-storage"} | ({"mapOptions": map_options} if map_options else {})
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": "openshift-storage.rbd.csi.ceph.com", "parameters": params}


def claim(name: str, class_name: str, mode: str = "Block") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": "ns1"},
            "spec": {"volumeMode": mode, "storageClassName": class_name}}


def cluster() -> dict[str, Any]:
    """A running Windows VM with two volumes: a DataVolume whose claim is on a class with rxbounce, and a PVC on
    one without."""
    vm = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
          "metadata": {"name": "win1", "namespace": "ns1", "labels": {"os.template.kubevirt.io/win2k22": "true"}},
          "spec": {"template": {"spec": {"volumes": [
              {"name": "root", "dataVolume": {"name": "win1-root"}},
              {"name": "data", "persistentVolumeClaim": {"claimName": "win1-data"}}]}}}}
    vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
           "metadata": {"name": "win1", "namespace": "ns1"}, "status": {"phase": "Running"}}
    dv = {"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume",
          "metadata": {"name": "win1-root", "namespace": "ns1"}, "status": {"claimName": "win1-root-claim"}}
    return {"vm": vm, "vmi": vmi, "dv": dv, "good": storage_class("rbd-virt", "krbd:rxbounce"),
            "bad": storage_class("rbd", None), "root": claim("win1-root-claim", "rbd-virt"),
            "data": claim("win1-data", "rbd")}


def findings(objects: dict[str, Any]) -> list[Any]:
    snap = Snapshot(objects=list(objects.values()), at=AT, source=SourceInfo("dump", "-"))
    return [f for f in evaluate(snap, only=[ALERT]).findings if f.alert == ALERT]


def test_names_the_claim_on_the_class_without_rxbounce() -> None:
    (found,) = findings(cluster())
    assert found.cause.id == "rbd-without-rxbounce" and found.subject.name == "win1"
    assert [e.object for e in found.evidence] == ["PersistentVolumeClaim/ns1/win1-data", "StorageClass/rbd"]


def test_a_datavolume_is_followed_to_its_claim() -> None:
    objects = cluster()
    objects["root"]["spec"]["storageClassName"] = "rbd"  # the DataVolume's claim is now on the bad class too
    (found,) = findings(objects)
    # the first volume's claim, found through the DataVolume's status
    assert found.evidence[0].object == "PersistentVolumeClaim/ns1/win1-root-claim"


@pytest.mark.parametrize("change", ["filesystem", "rxbounce", "not-running", "no-vmi", "linux", "no-claim"])
def test_quiet_when(change: str) -> None:
    objects = copy.deepcopy(cluster())
    if change == "filesystem":
        objects["data"]["spec"]["volumeMode"] = "Filesystem"
    elif change == "rxbounce":
        objects["bad"]["parameters"]["mapOptions"] = "krbd:rxbounce"
    elif change == "not-running":
        objects["vmi"]["status"]["phase"] = "Scheduling"
    elif change == "no-vmi":
        del objects["vmi"]
    elif change == "linux":
        objects["vm"]["metadata"]["labels"] = {"os.template.kubevirt.io/fedora": "true"}
    else:
        del objects["data"]
    assert findings(objects) == []


def test_windows_by_what_the_guest_agent_reports() -> None:
    objects = cluster()
    objects["vm"]["metadata"]["labels"] = {}
    assert findings(objects) == []
    objects["vmi"]["status"]["guestOSInfo"] = {"id": "mswindows"}
    assert len(findings(objects)) == 1
