"""The MCP tools over the service's watched view (mounted at /mcp): answers come from the newest evaluation and its
snapshot — the warm cache — so an assistant's question never lists the cluster again; a plan's dry run goes through
the remediator, audited in the store as the dashboard's previews are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from virt_doctor.assist.workspace import FixAnswer
from virt_doctor.catalog import load_catalog
from virt_doctor.diagnosis import Diagnosis, Instance, narrowed
from virt_doctor.errors import InputError, VirtDoctorError
from virt_doctor.remedy.fix import plan_steps
from virt_doctor.remedy.session import choose
from virt_doctor.scan import ScanResult, evaluate_snapshot, with_problems
from virt_doctor.serve.service import Service
from virt_doctor.serve.view import Evaluation
from virt_doctor.sources.live.read import Progress


class NotReadYet(VirtDoctorError):
    """The service has not evaluated the cluster yet."""


@dataclass
class WatchedView:
    """The Workspace of `serve`: its view of the cluster (live and watched, or a dump read once)."""

    service: Service
    what: str  # what the view reads, as `serve` said it when it started

    def describe(self) -> str:
        return f"virt-doctor serve's view of {self.what} (its newest evaluation; nothing is listed again per call)"

    def _current(self, at: datetime | None) -> Evaluation:
        evaluation = self.service.view.current
        if evaluation is None or evaluation.snapshot is None:
            raise NotReadYet("the service has not read the cluster yet" + (
                f" ({self.service.view.error})" if self.service.view.error else "") + "; ask again in a moment")
        if at is not None:
            raise InputError(f"at: serve answers from its newest evaluation ({evaluation.report.evaluated_at}); "
                             "`virt-doctor mcp` evaluates another time")
        return evaluation

    def scan(self, source: str | None, namespace: str | None, alerts: Sequence[str] | None,
             at: datetime | None, progress: Progress | None = None) -> ScanResult:
        if source is not None:
            raise InputError("source: serve answers from its own view; `virt-doctor mcp --from DUMP` reads a dump")
        evaluation = self._current(at)
        assert evaluation.snapshot is not None
        report = evaluation.report
        if alerts or namespace:  # as a scan filters: by alert, then by the subject's namespace, then grouped
            names = {load_catalog().get(name).name for name in alerts or ()}
            report = replace(report, findings=tuple(
                f for f in report.findings if (not names or f.alert in names)
                and (not namespace or f.subject.namespace == namespace)),
                coverage=tuple(c for c in report.coverage if not names or c.alert in names))
            report = with_problems(evaluation.snapshot, report)
        return ScanResult(report, evaluation.snapshot, evaluation.warnings)

    def diagnose(self, instances: Sequence[Instance], at: datetime | None,
                 progress: Progress | None = None) -> Diagnosis:
        if not instances:
            raise InputError("name the alert to diagnose")
        evaluation = self._current(at)
        assert evaluation.snapshot is not None
        asked = [(load_catalog().get(name).name, labels) for name, labels in instances]
        names = list(dict.fromkeys(name for name, _ in asked))
        # the alerts asked about, judged again on the same snapshot as these instances (where they start)
        _, report = evaluate_snapshot(evaluation.snapshot, names, dict(asked))
        mine = narrowed(report, asked)
        everything = replace(evaluation.report, findings=tuple(
            {f.id: f for f in (*evaluation.report.findings, *mine.findings)}.values()))
        problems = self.service.view.problems_with(list(mine.findings))
        ids = {f.id for f in mine.findings}
        return Diagnosis(tuple(asked), replace(mine, problems=tuple(p for p in problems if ids & set(p.findings))),
                         everything, evaluation.warnings, live=False)

    def fix(self, finding: str | None, alert: str | None, labels: dict[str, str], steps: Sequence[str],
            at: datetime | None) -> FixAnswer:
        evaluation = self._current(at)
        chosen = choose(evaluation.report.findings, finding, alert, labels)
        remediator = self.service.remediator
        if remediator is None or not remediator.live:
            return FixAnswer(chosen, plan_steps(chosen, steps), live=False, warnings=evaluation.warnings)
        plans = remediator.session("assistant preview").plan(chosen, steps)
        return FixAnswer(chosen, plans, live=True, warnings=evaluation.warnings)
