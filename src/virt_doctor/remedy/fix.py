"""Plan → preview → apply a finding's actions, the way `virt-doctor fix` does it.

The plan is the finding's automatable steps (or the ones chosen). The preview sends each request as a
server-side dry run (`dryRun=All`: admission, validation and RBAC run, nothing is stored) and shows what would
change. Applying re-reads the cluster first: the finding must still hold, the step must act on the same object
at the same resourceVersion as planned, and no guard may refuse; the write itself carries that
resourceVersion as a precondition, so a change in between is refused by the server too. Everything is audited.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import yaml

from virt_doctor.errors import InputError
from virt_doctor.remedy.audit import Auditor
from virt_doctor.remedy.guards import Refusal, refusals
from virt_doctor.remedy.request import ApiRequest, object_path, request_of
from virt_doctor.report.actions import Action
from virt_doctor.report.model import Finding, Step
from virt_doctor.scan import ScanResult
from virt_doctor.sources.live.client import ApiError, Conflict, Forbidden, KubeClient, NotFound

NOISE = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")


@dataclass
class Preview:
    """The dry run's answer: accepted or not (the status and why), and what would change."""

    status: int
    diff: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class StepPlan:
    """One action of the plan, with its request, its preview and (after --apply) what happened."""

    finding: Finding
    step: Step
    preview: Preview | None = None
    refused: list[Refusal] = field(default_factory=list)
    outcome: str = ""  # applied | refused | stale | cleared | failed | skipped
    detail: str = ""

    @property
    def action(self) -> Action:
        assert self.step.action is not None
        return self.step.action

    @property
    def request(self) -> ApiRequest:
        return request_of(self.action, dry_run=False)

    def to_dict(self) -> dict[str, Any]:
        return {"finding": self.finding.id, "alert": self.finding.alert, "step": self.step.id,
                "title": self.step.title, "risk": self.step.risk, "action": self.action.to_dict(),
                "request": self.request.to_dict(), "kubectl": self.step.command,
                "preview": None if self.preview is None else {"status": self.preview.status,
                                                              "accepted": self.preview.accepted,
                                                              "diff": self.preview.diff, "error": self.preview.error},
                "refused": [{"risk": r.risk, "flag": r.flag, "why": r.why} for r in self.refused],
                "outcome": self.outcome or None, "detail": self.detail or None}


def plan_steps(finding: Finding, chosen: Sequence[str] = ()) -> list[StepPlan]:
    """The finding's automatable steps, or those chosen by id (an unknown or manual one is an input error)."""
    automatable = {s.id: s for s in finding.remediation if s.action is not None}
    for step_id in chosen:
        if step_id not in automatable:
            manual = [s.id for s in finding.remediation if s.action is None and s.risk != "read-only"]
            raise InputError(f"--step {step_id}: not an automatable step of finding {finding.id} "
                             f"(automatable: {', '.join(automatable) or 'none'}"
                             + (f"; by hand: {', '.join(manual)}" if manual else "") + ")")
    return [StepPlan(finding, automatable[s]) for s in (chosen or automatable)]


def who_am_i(client: KubeClient) -> str:
    """The user the API server sees (SelfSubjectReview), else the kubeconfig context's name."""
    try:
        review = client.send_json("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                  {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                                  what="who am I")
        user = ((review.get("status") or {}).get("userInfo") or {}).get("username")
        if user:
            return str(user)
    except ApiError:
        pass
    return f"context {client.conn.context or '(current)'}"


def preview(client: KubeClient, plan: StepPlan, auditor: Auditor) -> Preview:
    """Send the step's request as a dry run; what would change, or why the server refused."""
    action = plan.action
    dry = request_of(action, dry_run=True)
    current = None
    if action.verb != "create":
        try:
            current = client.get_json(object_path(action), what=f"get {action.ref()}")
        except NotFound:
            current = None
        except ApiError as exc:
            current = {"error": str(exc)}
    try:
        answer = client.send_json(dry.method, dry.path, dry.body, what=f"dry run of {plan.step.id}",
                                  params=dry.params, content_type=dry.content_type)
        result = Preview(200, _diff(action, current, answer))
    except ApiError as exc:
        result = Preview(exc.status or 0, error=_why(exc, plan))
    auditor.record("preview", plan.finding.id, plan.finding.alert, plan.step.id, action.ref(), dry.to_dict(),
                   result.status, "accepted" if result.accepted else result.error)
    plan.preview = result
    return result


def apply(client: KubeClient, plans: list[StepPlan], rescan: Callable[[], ScanResult], auditor: Auditor,
          allowed: frozenset[str] = frozenset(), namespace: str = "", max_actions: int = 1) -> None:
    """Carry the plan out, each step only after a fresh read still asks for it, unchanged and unguarded."""
    if len(plans) > max_actions:
        for plan in plans:
            _done(plan, auditor, "refused", f"{len(plans)} actions planned, more than --max-actions {max_actions}")
        return
    for plan in plans:
        fresh = rescan()
        now = next((f for f in fresh.report.findings if f.id == plan.finding.id), None)
        if now is None:
            _done(plan, auditor, "cleared", "the finding no longer holds on a fresh read: nothing to do")
            continue
        again = next((s for s in now.remediation if s.id == plan.step.id), None)
        if again is None or again.action is None or again.action.ref() != plan.action.ref():
            _done(plan, auditor, "stale", "the finding's diagnosis changed since the plan (another cause, another "
                  "object): run fix again")
            continue
        if again.action.resource_version != plan.action.resource_version:
            _done(plan, auditor, "stale", f"{plan.action.ref()} changed since the plan (resourceVersion "
                  f"{plan.action.resource_version} → {again.action.resource_version}): run fix again")
            continue
        plan.refused = refusals(fresh.snapshot, again.action, allowed, namespace)
        if plan.refused:
            _done(plan, auditor, "refused", "; ".join(r.say() for r in plan.refused))
            continue
        request = plan.request
        try:
            client.send_json(request.method, request.path, request.body, what=f"{plan.step.id} on {plan.action.ref()}",
                             params=request.params, content_type=request.content_type)
        except Conflict as exc:
            _done(plan, auditor, "stale", f"{plan.action.ref()} changed between the check and the write ({exc}): "
                  "run fix again", 409)
        except ApiError as exc:
            _done(plan, auditor, "failed", _why(exc, plan), exc.status)
        else:
            _done(plan, auditor, "applied", f"{request.method} {request.path}", 200)


def still_holds(rescan: Callable[[], ScanResult], finding_id: str) -> bool:
    """Whether the finding is still there on a fresh read (the verification after applying)."""
    return any(f.id == finding_id for f in rescan().report.findings)


def _done(plan: StepPlan, auditor: Auditor, outcome: str, detail: str, status: int = 0) -> None:
    plan.outcome, plan.detail = outcome, detail
    auditor.record("apply" if outcome in ("applied", "failed") else outcome, plan.finding.id, plan.finding.alert,
                   plan.step.id, plan.action.ref(), plan.request.to_dict(), status, f"{outcome}: {detail}")


def _why(exc: ApiError, plan: StepPlan) -> str:
    """The server's refusal in one line; a missing permission names the role that grants it and the command a
    person with it can run instead."""
    if isinstance(exc, Forbidden):
        return (f"missing permission: {exc} (deploy/base/rbac/remediator.yaml grants what fix needs); by hand: "
                f"{plan.step.command}")
    if isinstance(exc, NotFound):
        return f"{plan.action.ref()} no longer exists"
    return str(exc)


def _diff(action: Action, before: Any, after: Any) -> list[str]:
    """What the dry run says would change, as a unified diff of the object (noise left out)."""
    if action.verb == "delete":
        return [f"- {action.ref()} (deleted)"]
    old = _yaml(_clean(before)) if isinstance(before, dict) and "error" not in before else []
    new = _yaml(_clean(after))
    return list(difflib.unified_diff(old, new, "live", "after", lineterm="", n=2))[2:]


def _clean(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    out = orjson.loads(orjson.dumps(obj))
    meta = out.get("metadata") or {}
    for key in NOISE:
        meta.pop(key, None)
    out.pop("status", None)  # what an action changes is spec and metadata; status is the controllers'
    return out


def _yaml(obj: Any) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False).splitlines()
