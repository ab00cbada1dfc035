"""Build a simulated cluster and inject faults: the one entry point the CLI and the tests call."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from virt_doctor.simulator.cluster import DEFAULT_AT, Cluster, build_cluster
from virt_doctor.simulator.faults import FAULTS, inject, resolve
from virt_doctor.simulator.status import settle


def simulate(nodes: int = 3, vms: int = 10, faults: Iterable[str] = (), seed: int = 1, at: datetime = DEFAULT_AT,
             install_ns: str = "openshift-cnv", fault_age: timedelta = timedelta(minutes=30),
             vms_details: bool = True) -> Cluster:
    """A healthy cluster of `nodes` workers and `vms` VMs with the named faults injected."""
    names = list(faults)
    unknown = [n for n in names if _unknown(n)]
    if unknown:
        raise KeyError(f"unknown fault {unknown[0]!r}; known: {', '.join(sorted(FAULTS))}")
    cluster = build_cluster(nodes, vms, seed=seed, at=at, install_ns=install_ns)
    cluster.vms_details = vms_details
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
