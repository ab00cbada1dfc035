"""Findings grouped into problems: each finding in exactly one, rooted at the object whose fault explains it.

Each finding's own evidence names its root (links.py). A root can itself be explained by another finding: a VM is
stuck on its DataVolume, and the DataVolume's import fails because its source cannot be reached; HCO reports CDI
not available, and CDI is degraded because cdi-deployment crash-loops. Those hops come from the other finding's
evidence, and only ever lead from an object that can depend on another (a VM, a DataVolume, an operand CR) — never
away from a node, a StorageClass or a workload, so a fault on one is never blamed on an unrelated one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from virt_doctor.problems.links import (
    CAUSE_ROOT,
    DEPENDENT_KINDS,
    OPERAND_KINDS,
    OPERAND_WORKLOADS,
    WORKLOAD_KINDS,
    Link,
    own_link,
)
from virt_doctor.report.model import Finding, Problem, Subject
from virt_doctor.snapshot import Snapshot

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
Rank = tuple[int, bool, str, str]


def rank(finding: Finding) -> Rank:
    """Which finding speaks first: the most severe, firing before pending, then by name (stable)."""
    return (SEVERITY_ORDER.get(finding.severity, 9), finding.state != "firing", finding.alert, finding.subject.ref())


Edge = tuple[Rank, Subject, bool]  # 'X is explained by' this target, on this finding's rank; operand→component


def explained_by(findings: Sequence[Finding], links: dict[str, Link]) -> dict[Subject, list[Edge]]:
    """Every 'X is explained by Y' the findings' evidence shows, from objects that can depend on another."""
    edges: dict[Subject, list[Edge]] = defaultdict(list)
    for finding in findings:
        link = links[finding.id]
        path = [finding.subject, *link.via, link.root]
        for near, far in zip(path, path[1:], strict=False):
            if near != far and near.kind in DEPENDENT_KINDS:
                edges[near].append((rank(finding), far, False))
    best: dict[Subject, Rank] = {}
    for finding in findings:  # an operand CR is explained by its own components' faults, where they have one
        root = links[finding.id].root
        if root.kind in WORKLOAD_KINDS and (root not in best or rank(finding) < best[root]):
            best[root] = rank(finding)
    for operand in {links[f.id].root for f in findings if links[f.id].root.kind in OPERAND_KINDS}:
        for workload, first in best.items():
            if workload.name.startswith(OPERAND_WORKLOADS[operand.kind]):
                edges[operand].append((first, workload, True))
    return edges


def final_root(finding: Finding, link: Link, edges: dict[Subject, list[Edge]]) -> list[Subject]:
    """The hops from a finding's own root to the deepest object that explains it (empty: its own root is it)."""
    own_fault = link.root == finding.subject  # its evidence says the subject itself is at fault
    health = CAUSE_ROOT.get(finding.cause.id) == "operand"  # an operand's health: its components may explain it
    hops: list[Subject] = []
    current, visited = link.root, {link.root, finding.subject}
    while True:
        options = sorted((r, t.ref(), t) for r, t, operand in edges.get(current, ())
                         if (health if operand else not own_fault))
        target = next((t for _, _, t in options if t not in visited), None)
        if target is None:
            return hops
        hops.append(target)
        visited.add(target)
        current = target


def label(subject: Subject) -> str:
    """An object as a person names it: 'Node worker-1', 'Pod openshift-cnv/virt-handler-x'."""
    kind = {"ImportSource": "Import source", "ContainerImage": "Image", "MACAddress": "MAC address"}.get(subject.kind, subject.kind)
    return f"{kind} {subject.namespace}/{subject.name}" if subject.namespace else f"{kind} {subject.name}"


def why_of(finding: Finding, path: list[Subject], root: Subject, unchecked: str) -> str:
    """Why a finding belongs to its problem: the cause its diagnosis names and the path to the root."""
    if not path or path == [root]:
        text = f"{finding.cause.title} ({label(root)} itself)" if finding.subject == root else \
            f"{finding.cause.title} ({label(finding.subject)} → {label(root)})"
    else:
        text = f"{finding.cause.title} ({' → '.join(label(p) for p in [finding.subject, *path] if p)})"
    return f"{text}; not linked further: {unchecked}" if unchecked else text


def problem_id(root: Subject, cause: str) -> str:
    """Stable across scans for the same root and cause."""
    return hashlib.sha256(f"problem|{root.ref()}|{cause}".encode()).hexdigest()[:16]


class Placement(NamedTuple):
    """Where one finding sits: its problem's root, the path to it from the subject, and why."""

    root: Subject
    path: tuple[Subject, ...]  # the subject first, the root last
    why: str
    own: bool  # its own evidence blames the root (not only a finding it leads to)
    unchecked: str = ""


def place(snap: Snapshot, findings: Sequence[Finding]) -> dict[str, Placement]:
    """Each finding's root and the path its evidence (and the findings it leads to) took there."""
    links = {f.id: own_link(snap, f) for f in findings}
    edges = explained_by(findings, links)
    placed: dict[str, Placement] = {}
    for finding in findings:
        link = links[finding.id]
        hops = final_root(finding, link, edges)
        root = hops[-1] if hops else link.root
        path = [*link.via, link.root, *hops] if link.root != finding.subject or hops else []
        placed[finding.id] = Placement(root, tuple(dict.fromkeys([finding.subject, *path])),
                                       why_of(finding, path, root, link.unchecked), link.root == root,
                                       link.unchecked)
    return placed


def group_problems(snap: Snapshot, findings: Sequence[Finding]) -> tuple[Problem, ...]:
    """Every finding in exactly one problem: the object whose fault explains it, with why each belongs."""
    placed = place(snap, findings)
    members: dict[Subject, list[Member]] = defaultdict(list)
    for finding in findings:
        where = placed[finding.id]
        members[where.root].append(Member(finding, where.why, where.own, len(where.path)))
    problems = [_problem(root, group, [placed[m.finding.id].unchecked for m in group
                                       if placed[m.finding.id].unchecked])
                for root, group in members.items()]
    problems.sort(key=lambda p: (SEVERITY_ORDER.get(p.severity, 9), p.state != "firing", -len(p.findings),
                                 p.title))
    return tuple(problems)


class Member(NamedTuple):
    """A finding in its problem: why it belongs, whether its own evidence blames the root, how far it is."""

    finding: Finding
    why: str
    own: bool
    depth: int  # objects on its path, the subject and the root included


def _problem(root: Subject, group: list[Member], unchecked: list[str]) -> Problem:
    """One problem from its members: the root's own finding leads (about the root itself, then the one nearest it,
    a named cause before an unknown one, then the most severe)."""
    group.sort(key=lambda m: (not m.own, m.finding.subject != root, m.depth, m.finding.cause.id == "unknown",
                              rank(m.finding)))
    lead = group[0].finding
    findings = [m.finding for m in group]
    severity = min((f.severity for f in findings), key=lambda s: SEVERITY_ORDER.get(s, 9))
    since = min((f.since for f in findings if f.since), default=None)
    return Problem(
        id=problem_id(root, lead.cause.id),
        title=f"{label(root)}: {lead.cause.title}",
        severity=severity,
        state="firing" if any(f.state == "firing" for f in findings) else "pending",
        root=root,
        cause=lead.cause.id,
        findings=tuple(f.id for f in findings),
        why={m.finding.id: m.why for m in group},
        causes=tuple(dict.fromkeys(f.cause.id for f in findings)),
        since=since,
        unchecked=tuple(dict.fromkeys(unchecked)),
    )
