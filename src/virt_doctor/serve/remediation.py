"""Remediation from the service: an incident's plan and its dry-run preview on the incident page, an apply that
needs a token with the remediate scope, and an opt-in policy that lets chosen actions run by themselves for
chosen alerts — rate-limited, guarded and audited exactly as `virt-doctor fix` is (remedy/)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from virt_doctor.errors import InputError
from virt_doctor.remedy.audit import Auditor
from virt_doctor.remedy.fix import StepPlan, plan_steps, who_am_i
from virt_doctor.remedy.session import FixSession
from virt_doctor.report.model import Finding, Report
from virt_doctor.scan import ScanResult
from virt_doctor.serve.auth import WebhookAuth
from virt_doctor.sources.live.client import KubeClient

log = logging.getLogger("virt_doctor.serve.remediation")
HOUR = 3600.0


@dataclass(frozen=True)
class PolicyRule:
    """Steps that may run by themselves for one alert, at most `per_hour` times an hour."""

    alert: str
    steps: tuple[str, ...]
    per_hour: int = 1


def load_policy(path: Path) -> tuple[PolicyRule, ...]:
    """The policy file: `rules: [{alert: A, steps: [step-id, ...], max_per_hour: N}]`; errors name the field."""
    from virt_doctor.catalog import load_catalog

    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list) or not rules:
        raise InputError(f"{path}: expected `rules:` with at least one entry")
    out = []
    for index, rule in enumerate(rules):
        where = f"{path}: rules[{index}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("alert"), str):
            raise InputError(f"{where}.alert: missing")
        entry = load_catalog().get(rule["alert"])  # an unknown alert is an error naming close ones
        steps = rule.get("steps")
        if not isinstance(steps, list) or not steps:
            raise InputError(f"{where}.steps: give the step ids that may run by themselves")
        automatable = {s.id for s in entry.mitigation if s.action}
        for step in steps:
            if step not in automatable:
                raise InputError(f"{where}.steps: {step!r} is not an automatable step of {entry.name} "
                                 f"(automatable: {', '.join(sorted(automatable)) or 'none'})")
        per_hour = rule.get("max_per_hour", 1)
        if not isinstance(per_hour, int) or per_hour < 1:
            raise InputError(f"{where}.max_per_hour: a whole number of at least 1")
        out.append(PolicyRule(entry.name, tuple(steps), per_hour))
    return tuple(out)


@dataclass
class Remediator:
    """What the service can do about an incident: plan always; preview and apply against the live cluster."""

    engine: Engine
    client: KubeClient | None = None  # None: a dump is served, nothing to preview or apply against
    rescan: Callable[[], ScanResult] | None = None  # a fresh evaluation (the watched view, read again)
    auth: WebhookAuth = field(default_factory=WebhookAuth)  # the remediate token; none: applying is off
    policy: tuple[PolicyRule, ...] = ()
    policy_name: str = ""

    def __post_init__(self) -> None:
        self._who = ""
        self._lock = threading.Lock()  # one change at a time
        self._ran: dict[str, deque[float]] = {}

    @property
    def live(self) -> bool:
        return self.client is not None and self.rescan is not None

    @property
    def can_apply(self) -> bool:
        return self.live and bool(self.auth.token)

    def who(self) -> str:
        if not self._who and self.client is not None:
            self._who = who_am_i(self.client)
        return self._who or "virt-doctor serve"

    def auditor(self, on_behalf: str) -> Auditor:
        return Auditor(f"{self.who()} ({on_behalf})", log=None, engine=self.engine)

    def session(self, on_behalf: str) -> FixSession:
        """A fix as `virt-doctor fix` runs it, audited as done on behalf of the dashboard or the policy."""
        assert self.client is not None and self.rescan is not None
        return FixSession(self.client, self.rescan, self.auditor(on_behalf))

    def plan(self, finding: Finding, with_preview: bool) -> list[StepPlan]:
        if with_preview and self.live:
            return self.session("dashboard preview").plan(finding)
        return plan_steps(finding)

    def apply_step(self, finding: Finding, step: str) -> StepPlan:
        """One step of the finding, carried out as `fix --apply --step` does (fresh read, guards, precondition)."""
        session = self.session("dashboard apply")
        [plan] = session.plan(finding, [step], with_preview=False)
        with self._lock:
            session.apply([plan])
        return plan

    def auto(self, report: Report, now: float | None = None) -> list[StepPlan]:
        """Run the policy's steps for the firing findings of its alerts, within each rule's hourly budget."""
        if not self.policy or not self.live:
            return []
        assert self.client is not None and self.rescan is not None
        moment = time.monotonic() if now is None else now
        done: list[StepPlan] = []
        for rule in self.policy:
            for finding in (f for f in report.findings if f.alert == rule.alert and f.state == "firing"):
                ran = self._ran.setdefault(rule.alert, deque())
                while ran and moment - ran[0] > HOUR:
                    ran.popleft()
                available = [s for s in rule.steps if any(r.id == s and r.action for r in finding.remediation)]
                if not available:
                    continue
                auditor = self.auditor(f"policy {self.policy_name}")
                if len(ran) >= rule.per_hour:
                    plans = plan_steps(finding, available)
                    for plan in plans:
                        plan.outcome, plan.detail = "refused", (f"the policy allows {rule.per_hour} run(s) of "
                                                                f"{rule.alert} an hour; it has had them")
                        auditor.record("refused", finding.id, finding.alert, plan.step.id, plan.action.ref(),
                                       plan.request.to_dict(), 0, f"refused: {plan.detail}")
                    done += plans
                    continue
                ran.append(moment)
                session = FixSession(self.client, self.rescan, auditor)
                plans = session.plan(finding, available, with_preview=False)
                with self._lock:
                    session.apply(plans, max_actions=len(plans))
                for plan in plans:
                    log.warning("policy %s: %s on %s: %s — %s", self.policy_name, plan.step.id, plan.action.ref(),
                                plan.outcome, plan.detail)
                done += plans
        return done


def plan_to_dict(plans: list[StepPlan], remediator: Remediator) -> dict[str, Any]:
    return {"steps": [p.to_dict() for p in plans], "can_preview": remediator.live, "can_apply": remediator.can_apply}
