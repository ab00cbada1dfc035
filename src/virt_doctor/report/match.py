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


def best_match(findings: list[Finding], labels: dict[str, str]) -> Finding | None:
    """The finding the labels name; of several, the one whose own labels agree with the most of them."""
    candidates = [f for f in findings if matches(f, labels)]
    if not candidates:
        return None
    return max(candidates, key=lambda f: (sum(1 for k, v in f.labels.items() if labels.get(k) == v), f.id))
