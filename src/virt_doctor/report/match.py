"""Which finding an alert instance is: its labels compared with the finding's subject."""

from __future__ import annotations

from virt_doctor.report.model import Finding

# the labels that name an alert instance, and what of a finding they name
IDENTIFYING = ("namespace", "name", "vm", "node", "pod", "component_name")


def matches(finding: Finding, labels: dict[str, str]) -> bool:
    """Whether a finding is the instance the labels name (labels a finding cannot be compared on are ignored)."""
    subject = finding.subject
    for key in IDENTIFYING:
        want = labels.get(key)
        if not want:
            continue
        if key == "namespace" and subject.namespace and subject.namespace != want:
            return False
        if key in ("name", "vm") and subject.kind == "VirtualMachine" and subject.name != want:
            return False
        if key == "node" and (finding.labels.get("node") or (subject.name if subject.kind == "Node" else want)) != want:
            return False
        if key == "pod" and subject.kind == "Pod" and subject.name != want:
            return False
    return True
