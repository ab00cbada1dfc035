"""The service's view of the cluster: the latest evaluation, refreshed in the background, and what an alert
instance looks like in it (the finding `diagnose` gives)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from virt_doctor.catalog import load_catalog
from virt_doctor.problems import group_problems
from virt_doctor.report.match import best_match
from virt_doctor.report.model import Finding, Problem, Report, finding_to_dict
from virt_doctor.scan import ScanResult, evaluate_snapshot
from virt_doctor.snapshot import Snapshot
from virt_doctor.store.incidents import Verdict

Evaluate = Callable[[], ScanResult]


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the cluster, and when it finished."""

    report: Report
    warnings: tuple[str, ...]
    finished: datetime
    seconds: float
    snapshot: Snapshot | None = None  # what the report was evaluated from (a self-diagnosing alert starts there)


class ClusterView:
    """The newest evaluation; `refresh` replaces it (one at a time), readers never wait for a refresh."""

    def __init__(self, evaluate: Evaluate) -> None:
        self._evaluate = evaluate
        self._lock = threading.Lock()
        self.current: Evaluation | None = None
        self.error: str = ""  # why the last refresh failed ("" when it worked)

    def refresh(self) -> Evaluation | None:
        """Evaluate now; on failure keep the previous evaluation and say why in `error`."""
        with self._lock:
            started = time.perf_counter()
            try:
                result = self._evaluate()
            except Exception as exc:  # a source error must not take the service down: /readyz says it
                self.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
                return None
            self.current = Evaluation(result.report, result.warnings, datetime.now(UTC),
                                      time.perf_counter() - started, result.snapshot)
            self.error = ""
            return self.current

    def verdict(self, alertname: str, labels: dict[str, str]) -> Verdict:
        """What the view says of one alert instance as Alertmanager names it."""
        catalog = load_catalog()
        if alertname not in catalog:
            return Verdict("no-runbook", note=f"virt-doctor has no runbook for {alertname}", has_runbook=False,
                           severity=labels.get("severity", ""))
        entry = catalog.get(alertname)
        base = Verdict("", severity=labels.get("severity") or entry.severity, health_impact=entry.health_impact,
                       component=entry.component)
        evaluation = self.current
        if evaluation is None:
            return replace(base, verdict="not-evaluated", note="the cluster has not been read yet")
        report = evaluation.report
        coverage = next((c for c in report.coverage if c.alert == alertname), None)
        findings = [f for f in report.findings if f.alert == alertname]
        skipped = coverage is not None and coverage.status != "evaluated"
        if evaluation.snapshot is not None and (skipped or findings and SELF_DIAGNOSING & set(labels)):
            # the alert arrived, so the cluster raises it (whatever its release says), and it may name its pod, node
            # and reason to diagnose from: one rule again, on the same snapshot, asked about this instance
            _, asked = evaluate_snapshot(evaluation.snapshot, [alertname], {alertname: labels})
            coverage = next((c for c in asked.coverage if c.alert == alertname), coverage)
            findings = [f for f in asked.findings if f.alert == alertname] or findings
        if coverage is not None and coverage.status != "evaluated":
            return replace(base, verdict="not-evaluated", note=f"not evaluated: {coverage.reason}")
        finding = best_match(findings, labels)
        if finding is None:
            return replace(base, verdict="not-holding", note=f"the condition does not hold in the cluster as read "
                                                             f"at {evaluation.report.evaluated_at}")
        return self.verdict_of(finding)

    def problems_with(self, findings: list[Finding]) -> tuple[Problem, ...]:
        """The newest evaluation's problems, with these findings too (an alert diagnosed on arrival: a finding
        the evaluation had not, grouped with the others on the same snapshot)."""
        evaluation = self.current
        if evaluation is None:
            return ()
        known = {f.id for f in evaluation.report.findings}
        extra = [f for f in findings if f.id not in known]
        if not extra or evaluation.snapshot is None:
            return evaluation.report.problems
        return group_problems(evaluation.snapshot, [*evaluation.report.findings, *extra])

    @staticmethod
    def verdict_of(finding: Finding) -> Verdict:
        """The verdict a finding is: the condition holds, for the cause it names."""
        entry = load_catalog().get(finding.alert)
        return Verdict("holds", finding=finding_to_dict(finding), severity=finding.severity,
                       health_impact=entry.health_impact, component=entry.component)


SELF_DIAGNOSING = frozenset({"pod", "reason"})  # labels a self-diagnosing alert carries to start a diagnosis from
