"""NodeNetworkInterfaceDown: an interface on a node is set up but has no running link, for 5 minutes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence
from virt_doctor.rules.diagnose.node_load import node_of_instance

ALERT = "NodeNetworkInterfaceDown"
IFF_UP, IFF_RUNNING, IFF_LOWER_UP = 1, 64, 65536
IGNORED = "lo|tunbr|veth.+|ovs-system|genev_sys.+|br-int"  # loopback, veth, tunnel bridges, OVN's own
DOWN = (f"(node_network_flags % {IFF_UP << 1}) >= {IFF_UP} and (node_network_flags % {IFF_RUNNING << 1}) < "
        f"{IFF_RUNNING} and (node_network_flags % {IFF_LOWER_UP << 1}) < {IFF_LOWER_UP} "
        "and on(instance, device) node_network_up == 1 and on(instance, device) node_network_carrier == 1 "
        f'and on(instance, device) (node_network_flags unless node_network_flags{{device=~"{IGNORED}"}})')


@rule(ALERT, reads=("Node",), causes=("link-down", "unknown"),
      queries={"condition": f"count by (instance) ({DOWN}) > 0", "devices": DOWN})
def node_network_interface_down(snap: Snapshot) -> Iterator[Detection]:
    """Which interfaces of the node have lost their link."""
    devices: dict[str, list[str]] = defaultdict(list)
    for series in answer(snap, ALERT, "devices"):
        devices[series.labels.get("instance", "")].append(series.labels.get("device", "?"))
    for series, since in holding(snap, ALERT):
        instance = series.labels.get("instance", "")
        node = node_of_instance(snap, instance)
        name = a.name(node) if node is not None else instance.rsplit(":", 1)[0]
        down = sorted(devices.get(instance, []))
        evidence = [metric_evidence("interfaces up without a link", series, value=round(series.last))]
        if down:
            yield Detection(Subject("Node", "", name), "link-down",
                            f"node {name}: interface{'s' if len(down) != 1 else ''} {', '.join(down)} "
                            f"{'are' if len(down) != 1 else 'is'} up without a link", since=since,
                            evidence=tuple(evidence), params={"node": name, "device": down[0]},
                            labels={"instance": instance})
        else:
            yield Detection(Subject("Node", "", name), "unknown",
                            f"node {name} has {series.last:.0f} interface(s) up without a link", since=since,
                            evidence=tuple(evidence), params={"node": name}, labels={"instance": instance},
                            checked=("the interfaces' flags (no series)",))
