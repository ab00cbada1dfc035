"""Build a simulated cluster and inject faults: the one entry point the CLI and the tests call."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from virt_doctor.simulator.build import build_cluster
from virt_doctor.simulator.cluster import DEFAULT_AT, Cluster
from virt_doctor.simulator.faults import FAULTS, inject, resolve
from virt_doctor.simulator.status import settle


def simulate(nodes: int = 3, vms: int = 10, faults: Iterable[str] = (), seed: int = 1, at: datetime = DEFAULT_AT,
             install_ns: str = "openshift-cnv", fault_age: timedelta = timedelta(minutes=30),
             vms_details: bool = True, kubevirt_version: str | None = None) -> Cluster:
    """A healthy cluster of `nodes` workers and `vms` VMs with the named faults injected; `kubevirt_version`: the
    release its KubeVirt CR reports (the simulator's own by default)."""
    names = list(faults)
    unknown = [n for n in names if _unknown(n)]
    if unknown:
        raise KeyError(f"unknown fault {unknown[0]!r}; known: {', '.join(sorted(FAULTS))}")
    cluster = build_cluster(nodes, vms, seed=seed, at=at, install_ns=install_ns)
    cluster.vms_details = vms_details
    if kubevirt_version:
        status = next(o for o in cluster.infra if o["kind"] == "KubeVirt")["status"]
        status.update(observedKubeVirtVersion=kubevirt_version, targetKubeVirtVersion=kubevirt_version,
                      operatorVersion=kubevirt_version)
    for name in names:
        inject(cluster, name, fault_age)
    settle(list(cluster.objects()))
    return cluster


def _unknown(name: str) -> bool:
    try:
        resolve(name)
    except KeyError:
        return True
    return False
