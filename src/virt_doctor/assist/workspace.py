"""Where an assistant's questions are answered from: the source `virt-doctor mcp` was started on (a dump, or the
live cluster of a kubeconfig context, with Prometheus if given), or `serve`'s watched view (serve/assist.py). The
tools (tools.py) ask a Workspace; it owns reading, the tools own what is said."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from virt_doctor.diagnosis import Diagnosis, Instance, diagnose
from virt_doctor.remedy.audit import Auditor
from virt_doctor.remedy.fix import StepPlan, plan_steps
from virt_doctor.remedy.session import FixSession, choose
from virt_doctor.report.model import Finding
from virt_doctor.scan import LiveOptions, ScanRequest, ScanResult, run_scan
from virt_doctor.sources.live.read import Progress
from virt_doctor.sources.prometheus import PrometheusClient

GUARD_KINDS = frozenset({"Node", "Pod", "VirtualMachineInstance"})  # what remedy/guards.py reads before a write


@dataclass(frozen=True)
class FixAnswer:
    """A finding's plan: the finding, each automatable step, and whether each was previewed on the live cluster."""

    finding: Finding
    plans: list[StepPlan]
    live: bool
    warnings: tuple[str, ...] = ()


class Workspace(Protocol):
    """What the tools read through. Every method is read-only: a plan is previewed by a server-side dry run at
    most, never applied."""

    def describe(self) -> str:
        """One line: what this workspace reads (said in the server's instructions)."""
        ...

    def scan(self, source: str | None, namespace: str | None, alerts: Sequence[str] | None,
             at: datetime | None, progress: Progress | None = None) -> ScanResult:
        """Every alert (or the named ones) evaluated; `source`: another dump to read instead; `progress`: told of
        each kind listed from a live cluster."""
        ...

    def diagnose(self, instances: Sequence[Instance], at: datetime | None,
                 progress: Progress | None = None) -> Diagnosis:
        """The alert instances diagnosed with the bounded reads `diagnose` makes."""
        ...

    def fix(self, finding: str | None, alert: str | None, labels: dict[str, str], steps: Sequence[str],
            at: datetime | None) -> FixAnswer:
        """The finding's plan, each step previewed by a dry run where the cluster is live."""
        ...


@dataclass(frozen=True)
class Configured:
    """The source `virt-doctor mcp` was started on: a dump (`source`), else the live cluster of `kubeconfig` and
    `context`, each read afresh per call; `prometheus` for the metric alerts; previews audited to `audit_log`."""

    source: Path | None = None
    kubeconfig: str | None = None
    context: str | None = None
    prometheus: PrometheusClient | None = None
    audit_log: Path | None = None
    consistent: bool = False

    def describe(self) -> str:
        where = f"the dump {self.source}" if self.source is not None else \
            f"the live cluster of kubeconfig context {self.context or '(current)'}, read-only, afresh on each call"
        return where + (f", with Prometheus at {self.prometheus.url}" if self.prometheus else "")

    def _live(self, progress: Progress | None = None) -> LiveOptions:
        return LiveOptions(self.kubeconfig, self.context, consistent=self.consistent, progress=progress)

    def scan(self, source: str | None, namespace: str | None, alerts: Sequence[str] | None,
             at: datetime | None, progress: Progress | None = None) -> ScanResult:
        if source is not None:  # another dump: this workspace's Prometheus is not that cluster's
            return run_scan(ScanRequest(source=Path(source).expanduser(), at=at, only=alerts or None, namespace=namespace))
        if self.source is not None:
            return run_scan(ScanRequest(source=self.source, at=at, prometheus=self.prometheus, only=alerts or None,
                                        namespace=namespace))
        return run_scan(ScanRequest(live=self._live(progress), at=at or datetime.now(UTC), prometheus=self.prometheus,
                                    only=alerts or None, namespace=namespace))

    def diagnose(self, instances: Sequence[Instance], at: datetime | None,
                 progress: Progress | None = None) -> Diagnosis:
        return diagnose(instances, self.source, None if self.source is not None else self._live(progress), at)

    def fix(self, finding: str | None, alert: str | None, labels: dict[str, str], steps: Sequence[str],
            at: datetime | None) -> FixAnswer:
        if self.source is not None:  # a plan to read: nothing to preview against
            result = run_scan(ScanRequest(source=self.source, at=at))
            chosen = choose(result.report.findings, finding, alert, labels)
            return FixAnswer(chosen, plan_steps(chosen, steps), live=False, warnings=result.warnings)
        from virt_doctor.rules.reads import kinds_read_by
        from virt_doctor.sources.live.client import KubeClient
        from virt_doctor.sources.live.connection import connect

        conn = connect(self.kubeconfig, self.context)
        client = KubeClient(conn)
        try:
            kinds = kinds_read_by([alert]) | GUARD_KINDS if alert else None  # an id alone: its alert is not known

            def rescan() -> ScanResult:
                return run_scan(ScanRequest(live=LiveOptions(client=client, kinds=kinds, consistent=self.consistent),
                                            at=at or datetime.now(UTC), only=[alert] if alert else None))

            result = rescan()
            chosen = choose(result.report.findings, finding, alert, labels)
            # who: the kubeconfig's user as it names itself (asking the server would be a write: a SelfSubjectReview)
            auditor = Auditor(f"{conn.user or 'context ' + (conn.context or '(current)')} (virt-doctor mcp)",
                              self.audit_log)
            plans = FixSession(client, rescan, auditor).plan(chosen, steps)
            return FixAnswer(chosen, plans, live=True, warnings=result.warnings)
        finally:
            client.close()

