"""A fix as one workflow, the same for `virt-doctor fix` and the service: choose the finding, plan its steps,
preview each by a server-side dry run, (the caller confirms), apply with a fresh read and the guards before each
write, verify on another fresh read. Every preview and write is audited (audit.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from virt_doctor.errors import InputError
from virt_doctor.remedy.audit import Auditor
from virt_doctor.remedy.fix import StepPlan, apply, plan_steps, preview, still_holds
from virt_doctor.report.match import matches
from virt_doctor.report.model import Finding, Problem, Report
from virt_doctor.scan import ScanResult
from virt_doctor.sources.live.client import KubeClient


def choose(findings: Sequence[Finding], finding: str | None = None, alert: str | None = None,
           labels: dict[str, str] | None = None, wanted: Finding | None = None) -> Finding:
    """The one finding asked for: by id (or a prefix of 6+), or by alert and labels; `wanted`: the stored finding
    the id came from (an incident's), so a finding that no longer holds is said as such."""
    if finding:
        if len(finding) < 6:
            raise InputError(f"{finding!r}: give at least 6 characters of the finding's id")
        hits = [f for f in findings if f.id.startswith(finding)]
        if wanted is not None and not hits:
            raise InputError(f"{wanted.alert} for {wanted.subject.ref()} no longer holds: nothing to fix")
    elif alert:
        hits = [f for f in findings if f.alert == alert and matches(f, labels or {})]
    else:
        raise InputError("name the finding: its id, --alert NAME --label k=v, or --incident N")
    if not hits:
        raise InputError(f"no finding {finding or alert} holds now (scan to see what does)")
    if len(hits) > 1:
        raise InputError(f"{len(hits)} findings match ({', '.join(f.id for f in hits[:5])}): give one id or more "
                         "labels")
    return hits[0]


def choose_problem(report: Report, problem: str) -> tuple[Problem, list[Finding]]:
    """The problem asked for by id (or a prefix of 6+), and its findings — the root's own first."""
    if len(problem) < 6:
        raise InputError(f"--problem {problem!r}: give at least 6 characters of the problem's id")
    hits = [p for p in report.problems if p.id.startswith(problem)]
    if not hits:
        raise InputError(f"--problem {problem}: no such problem holds now (scan to see the problems)")
    if len(hits) > 1:
        raise InputError(f"--problem {problem}: {len(hits)} problems match ({', '.join(p.id for p in hits)})")
    by_id = {f.id: f for f in report.findings}
    return hits[0], [by_id[i] for i in hits[0].findings if i in by_id]


def problem_plans(findings: Sequence[Finding], steps: Sequence[str] = ()) -> list[StepPlan]:
    """A problem's plan: each finding's automatable steps in the problem's order (the root's mitigation first), an
    action two findings both ask for planned once; `steps` keeps only those ids (each on some finding)."""
    plans: list[StepPlan] = []
    seen: set[str] = set()
    for finding in findings:
        chosen = [s.id for s in finding.remediation if s.action is not None and (not steps or s.id in steps)]
        for plan in plan_steps(finding, chosen) if chosen else ():
            key = repr(plan.request.to_dict())
            if key not in seen:
                seen.add(key)
                plans.append(plan)
    missing = [s for s in steps if not any(p.step.id == s for p in plans)]
    if missing:
        raise InputError(f"--step {', '.join(missing)}: not an automatable step of any finding of this problem")
    return plans


@dataclass
class FixSession:
    """One fix against the live cluster: `rescan` reads it afresh (the scan entry, narrowed to what the fix needs)."""

    client: KubeClient
    rescan: Callable[[], ScanResult]
    auditor: Auditor

    def plan(self, finding: Finding, steps: Sequence[str] = (), with_preview: bool = True) -> list[StepPlan]:
        """The finding's automatable steps (or the chosen ones) as plans, each previewed by a server-side dry run."""
        plans = plan_steps(finding, steps)
        if with_preview:
            for plan in plans:
                preview(self.client, plan, self.auditor)
        return plans

    def plan_problem(self, findings: Sequence[Finding], steps: Sequence[str] = ()) -> list[StepPlan]:
        """A problem's plan (problem_plans), each action previewed by a server-side dry run."""
        plans = problem_plans(findings, steps)
        for plan in plans:
            preview(self.client, plan, self.auditor)
        return plans

    def apply(self, plans: list[StepPlan], allowed: frozenset[str] = frozenset(), namespace: str = "",
              max_actions: int = 1) -> bool:
        """Carry the plans out (each after a fresh read, unchanged and unguarded); whether any write was made."""
        apply(self.client, plans, self.rescan, self.auditor, allowed, namespace, max_actions)
        return any(plan.outcome == "applied" for plan in plans)

    def verify(self, finding: Finding, wait: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> bool:
        """After `wait` seconds, whether the finding has cleared on a fresh read."""
        if wait:
            sleep(wait)
        return not still_holds(self.rescan, finding.id)
