"""What the removal property compares: what fires, and what a partial dump created."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from virt_doctor.problems.grouping import place
from virt_doctor.report.model import Report
from virt_doctor.rules.engine import evaluate
from virt_doctor.snapshot import Snapshot
from virt_doctor.sources import mustgather
from virt_doctor.sources.dump import _walk, in_memory, read_entries
from virt_doctor.sources.gatherers import kinds_proven_by, split_image
from virt_doctor.sources.load import snapshot_of


def firing(report: Report) -> dict[str, str]:
    """Finding id -> cause id, for what fires."""
    return {f.id: f.cause.id for f in report.findings if f.state == "firing"}


def created(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Findings that fire now and did not, or name a cause now that was not named (unknown is always allowed)."""
    return [f"{fid}: {cause}" + (f" (was {before[fid]})" if fid in before else " (new)")
            for fid, cause in after.items()
            if fid not in before or (cause != before[fid] and cause != "unknown")]


Files = list[tuple[str, bytes]]


def read_all(root: Path) -> Files:
    """Every file of a dump, read once."""
    return [(rel, read(None)) for rel, _, read in _walk(root)]


def removable(files: Files) -> dict[str, set[str]]:
    """The groups of files a partial dump may lack: each kind's files (with what proves its gatherer listed it
    cluster-wide: a dump whose gatherer lists a kind everywhere and shows none of it says there is none), each
    namespace's tree."""
    groups: dict[str, set[str]] = defaultdict(set)
    for rel, _ in files:
        parts = rel.split("/")
        listing = mustgather.listing_of(rel)
        inner = split_image(rel)
        for kind in kinds_proven_by(inner[1]) if inner is not None else ():
            groups[f"kind {kind}"].add(rel)
        if listing is not None:
            groups[f"kind {listing[0]}"].add(rel)
        elif "pods" in parts[:-1] and "namespaces" in parts:  # a pod's own file and its logs
            groups["kind Pod"].add(rel)
        namespace = mustgather.inspected_namespace(rel)
        if namespace:
            groups[f"namespace {namespace}"].add(rel)
    return groups


def snapshot_files(location: str, files: Files) -> Snapshot:
    """The snapshot of a dump given as its files, at its collection time."""
    raw = read_entries(location, in_memory(files))
    assert raw.collected_at is not None
    return snapshot_of(raw, raw.collected_at)


def scan_files(location: str, files: Files) -> tuple[Report, Snapshot]:
    """The report of a dump given as its files, and the snapshot it was evaluated from."""
    snap = snapshot_files(location, files)
    return evaluate(snap), snap


def moved(before: Report, before_snap: Snapshot, after: Report, after_snap: Snapshot) -> list[str]:
    """What a partial dump did wrong to the problems: findings it put together that were apart, or a root it names
    that is not on the finding's path before (a link cut may bring a finding nearer its subject, never elsewhere)."""
    was = place(before_snap, before.findings)
    now = place(after_snap, after.findings)
    wrong = []
    together: dict[object, set[object]] = defaultdict(set)
    for fid, where in now.items():
        if fid in was:
            together[where.root].add(was[fid].root)
            if where.root not in was[fid].path:
                wrong.append(f"{fid}: root {where.root.ref()} is not on its path {[p.ref() for p in was[fid].path]}")
    wrong += [f"{root.ref()}: joins findings of {sorted(r.ref() for r in roots)}"  # type: ignore[attr-defined]
              for root, roots in together.items() if len(roots) > 1]
    return wrong
