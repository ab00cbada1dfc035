"""What a diagnosis of one alert instance lists: the kinds its rule reads, narrowed by the alert's own labels.

A page names its instance (`namespace`, `node`); a rule declares which of those labels bound what it looks at
(rules/registry.py, `focus`). With them the source lists the instance's namespace instead of every namespace,
and the objects on the instance's node by label and field selectors instead of the whole cluster, so at 3 a.m.
a diagnosis reads a namespace or a node, not the cluster.

What it means for absence: a namespace listed whole is listed (its absences are facts, snapshot/seen.py); a
selector-narrowed list is not — it shows what is there, and "none exist" is never said of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from virt_doctor.errors import InputError

# kind -> (query parameter, selector template) listing only the objects bound to one node
ON_NODE = {
    "Pod": ("fieldSelector", "spec.nodeName={node}"),
    "VirtualMachineInstance": ("labelSelector", "kubevirt.io/nodeName={node}"),
    "Node": ("fieldSelector", "metadata.name={node}"),
}
# kind -> the selector of what a namespace-bounded diagnosis also reads outside the namespace: the events of
# nodes (a cluster-scoped object's events are kept in the default namespace, not the subject's)
BESIDE_NAMESPACE = {
    "Event": {"fieldSelector": "involvedObject.kind=Node"},
}
# a DNS-1123 subdomain (node names) and label (namespaces): a value outside them could add a selector term
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class Focus:
    """One alert instance's bounds: its namespace and node ('' when the alert does not bound by them), and the
    kinds its rule must still see whole (declared `@all`)."""

    namespace: str = ""
    node: str = ""
    everywhere: frozenset[str] = frozenset()

    def selector(self, kind: str) -> dict[str, str] | None:
        """The query parameters that list only this instance's objects of `kind`, or None to list it whole."""
        if not self.node or kind in self.everywhere or kind not in ON_NODE:
            return None
        param, template = ON_NODE[kind]
        return {param: template.format(node=self.node)}

    def beside(self, kind: str) -> dict[str, str] | None:
        """What of `kind` a namespace-bounded diagnosis also lists cluster-wide (by a selector), if anything."""
        return BESIDE_NAMESPACE.get(kind) if self.namespace else None


def focus_of(labels: dict[str, str], bounds: tuple[str, ...], everywhere: frozenset[str]) -> Focus:
    """The Focus the alert's labels give, for a rule bounded by `bounds`; a malformed value is refused."""
    namespace = labels.get("namespace", "") if "namespace" in bounds else ""
    node = labels.get("node", "") if "node" in bounds else ""
    if namespace and not (len(namespace) <= 63 and _LABEL.match(namespace)):
        raise InputError(f"label namespace={namespace!r}: not a namespace name")
    if node and not (len(node) <= 253 and _SUBDOMAIN.match(node)):
        raise InputError(f"label node={node!r}: not a node name")
    return Focus(namespace, node, everywhere)
