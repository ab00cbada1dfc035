"""SingleStackIPv6Unsupported: virtualization is installed on an IPv6-only cluster network."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import field


def cidrs(network: dict) -> tuple[list[str], list[str]]:
    """Cluster and service network ranges, from status (what is in effect), else spec."""
    source = a.status(network) if a.status(network).get("clusterNetwork") else a.spec(network)
    cluster = [str(n.get("cidr")) for n in source.get("clusterNetwork") or [] if isinstance(n, dict)]
    return cluster, [str(c) for c in source.get("serviceNetwork") or []]


@rule("SingleStackIPv6Unsupported", needs=("Network",), reads=("HyperConverged", "KubeVirt"), causes=("ipv6-single-stack", "unknown"))
def single_stack_ipv6_unsupported(snap: Snapshot) -> Iterator[Detection]:
    """Every cluster and service network range of config.openshift.io Network 'cluster' is IPv6."""
    if not (snap.kind("HyperConverged") or snap.kind("KubeVirt")):
        return
    for network in snap.kind("Network", group="config.openshift.io"):
        cluster, service = cidrs(network)
        ranges = cluster + service
        if ranges and all(":" in r for r in ranges):
            yield Detection(Subject("Network", "", a.name(network)), "ipv6-single-stack",
                            f"the cluster network is IPv6 only ({', '.join(ranges)}); VMs cannot be created",
                            evidence=(field(network, "status.clusterNetwork", cluster),
                                      field(network, "status.serviceNetwork", service)))
