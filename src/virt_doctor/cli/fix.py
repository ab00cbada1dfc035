"""`virt-doctor fix`: a finding's mitigation as a plan, previewed by a server-side dry run, applied only when asked."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from virt_doctor.cli.errors import fail, handles_input_errors
from virt_doctor.cli.options import (
    Context,
    Kubeconfig,
    dump_from,
    flag,
    parse_labels,
    stderr_console,
    stdout_console,
)
from virt_doctor.timeutil import parse_duration, parse_user_time

if TYPE_CHECKING:
    from virt_doctor.report.model import Finding

GUARD_KINDS = frozenset({"Node", "Pod", "VirtualMachineInstance"})  # what remedy/guards.py reads
EXIT_DONE, EXIT_NOT_DONE = 0, 1


@handles_input_errors
def fix(
    finding: Annotated[str | None, typer.Argument(metavar="FINDING", help="The finding's id (or its first 6+ characters) from a "
                                                  "scan; none with --from: every finding of the dump.",
                                                  show_default=False)] = None,
    source: Annotated[Path | None, dump_from("Plan from a dump (no preview or apply: those need the live "
                                                     "cluster).")] = None,
    alert: Annotated[str | None, typer.Option("--alert", help="The finding of this alert whose labels --label "
                                              "names, instead of an id.", show_default=False)] = None,
    label: Annotated[list[str] | None, typer.Option("--label", "-l", metavar="K=V", help="k=v of the alert instance (with "
                                                    "--alert).")] = None,
    incident: Annotated[int | None, typer.Option("--incident", help="The finding of an incident in the store "
                                                 "(see --db).", show_default=False)] = None,
    problem: Annotated[str | None, typer.Option("--problem", help="Every finding of a problem (its id, or 6+ "
                                                "characters, from a scan): the root's mitigation first.",
                                                show_default=False)] = None,
    step: Annotated[list[str] | None, typer.Option("--step", metavar="STEP", help="Only this step (repeatable); default: every "
                                                   "automatable step of the finding.")] = None,
    do_apply: Annotated[bool, flag("--apply", help="Carry the plan out (after a confirmation).")] = False,
    yes: Annotated[bool, flag("--yes", "-y", help="Do not ask for confirmation (automation).")] = False,
    allow_downtime: Annotated[bool, flag("--allow-downtime", help="Allow deleting the virt-launcher pod "
                                                 "of a running VM that cannot live-migrate (the VM stops).")] = False,
    allow_split_brain: Annotated[bool, flag("--allow-split-brain", help="Allow force-deleting a VMI "
                                                    "whose node is Ready (its guest may run twice on the same "
                                                    "disks).")] = False,
    allow_last_node: Annotated[bool, flag("--allow-last-node", help="Allow cordoning the last "
                                                  "schedulable node with KVM.")] = False,
    max_actions: Annotated[int, typer.Option("--max-actions", min=1, help="Refuse a plan of more changes than "
                                             "this.")] = 1,
    namespace: Annotated[str | None, typer.Option("--namespace", "-n", help="Refuse any action outside this "
                                                  "namespace (cluster-scoped ones included).",
                                                  show_default=False)] = None,
    verify_after: Annotated[str, typer.Option("--verify-after", help="After applying, read the cluster again "
                                              "this much later and say whether the alert cleared ('0s': at "
                                              "once).")] = "60s",
    audit_log: Annotated[Path | None, typer.Option("--audit-log", help="JSON-lines audit trail (default "
                                                   "~/.local/state/virt-doctor/audit.jsonl).",
                                                   show_default=False)] = None,
    db: Annotated[str | None, typer.Option("--db", envvar="VIRT_DOCTOR_DB", help="The store: audit records go "
                                           "there too, and --incident is read from it (default: serve's SQLite "
                                           "file).", show_default=False)] = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    at: Annotated[str | None, typer.Option("--at", help="Evaluation time (RFC 3339); default now.")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text or json.")] = "text",
) -> None:
    """Plan a finding's mitigation: each action, the evidence it rests on, its risk, the exact API request and
    the kubectl command. Live, each request is first sent as a server-side dry run (nothing changes) and the
    difference shown. --apply carries it out after a confirmation: each action only if a fresh read still
    asks for it on the same object at the same resourceVersion, and no guard refuses it. Every preview and
    action is audited. Exit status: 0 done (or planned), 1 something was refused or failed, 2 bad input.
    """
    from virt_doctor.remedy.audit import DEFAULT_LOG, Auditor
    from virt_doctor.remedy.fix import plan_steps, who_am_i
    from virt_doctor.remedy.session import FixSession, choose, choose_problem, problem_plans
    from virt_doctor.rules.reads import kinds_read_by
    from virt_doctor.scan import LiveOptions, ScanRequest, ScanResult, run_scan

    if output not in ("text", "json"):
        raise fail(f"-o {output!r}: give text or json")
    if problem is not None and (finding or alert or incident is not None):
        raise fail("give a finding (id, --alert or --incident) or --problem, not both")
    moment = parse_user_time(at) if at else None
    wait = parse_duration(verify_after).total_seconds() if verify_after.strip() not in ("0", "0s") else 0.0
    if source is not None:  # a plan to read: nothing is previewed, applied or audited, no store is opened
        if do_apply:
            raise fail("--apply needs the live cluster, not --from (a dump's plan is for reading)")
        result = run_scan(ScanRequest(source=source, at=moment))
        if problem is not None:
            asked, chosen = choose_problem(result.report, problem)
            _problem_heading(asked, output)
            _render(problem_plans(chosen, step or ()), chosen, output, live=False)
            raise typer.Exit(EXIT_DONE)
        chosen = [choose(result.report.findings, finding, alert, parse_labels(label or []))] \
            if finding or alert else list(result.report.findings)
        plans = [p for f in chosen for p in plan_steps(f, step or ())]
        _render(plans, chosen, output, live=False)
        raise typer.Exit(EXIT_DONE)

    from virt_doctor.sources.live.client import KubeClient
    from virt_doctor.sources.live.connection import connect

    engine = _store(db)
    client = KubeClient(connect(kubeconfig, context))
    try:
        wanted = _from_incident(engine, incident) if incident is not None else None
        name = alert or (wanted.alert if wanted else None)
        kinds = kinds_read_by([name]) | GUARD_KINDS if name else None  # a problem: every kind, to group

        def rescan() -> ScanResult:
            return run_scan(ScanRequest(live=LiveOptions(client=client, kinds=kinds), at=moment or datetime.now(UTC),
                                        only=[name] if name else None))

        session = FixSession(client, rescan, Auditor(who_am_i(client), audit_log or DEFAULT_LOG, engine))
        if problem is not None:
            asked, members = choose_problem(rescan().report, problem)
            target = members[0]  # the root's own finding: verified after applying
            _problem_heading(asked, output)
            plans = session.plan_problem(members, step or ())
            _render(plans, members, output, live=True)
        else:
            target = choose(rescan().report.findings, wanted.id if wanted else finding, alert,
                            parse_labels(label or []), wanted)
            plans = session.plan(target, step or ())
            _render(plans, [target], output, live=True)
        if not do_apply or not plans:
            raise typer.Exit(EXIT_DONE if all(p.preview and p.preview.accepted for p in plans) else EXIT_NOT_DONE)
        if not yes:
            if not sys.stdin.isatty():
                raise fail("--apply asks for confirmation: run it in a terminal, or add --yes")
            if not typer.confirm(f"Apply {len(plans)} action{'s' if len(plans) != 1 else ''} to "
                                 f"{client.conn.server}?", err=True):
                raise fail("not applied")
        allowed = frozenset(risk for risk, on in (("downtime", allow_downtime), ("split-brain", allow_split_brain),
                                                  ("last-kvm-node", allow_last_node)) if on)
        applied = session.apply(plans, allowed, namespace or "", max_actions)
        _say_outcomes(plans, output)
        if applied:
            if wait:
                stderr_console().print(f"virt-doctor: verifying in {wait:g}s …", markup=False)
            cleared = session.verify(target, wait)
            stderr_console().print(f"virt-doctor: {target.alert} for {target.subject.ref()}: "
                                   f"{'cleared' if cleared else 'still holds'} on a fresh read", markup=False)
        ok = all(p.outcome in ("applied", "cleared") for p in plans)
        raise typer.Exit(EXIT_DONE if ok else EXIT_NOT_DONE)
    finally:
        client.close()


def _store(db: str | None) -> Any:
    """The store the audit trail also goes to."""
    from virt_doctor.store.database import StoreError, open_engine
    from virt_doctor.store.paths import DEFAULT_DB

    try:
        return open_engine(db or str(DEFAULT_DB))
    except StoreError as exc:
        raise fail(str(exc)) from None


def _from_incident(engine: Any, number: int) -> Finding:
    from virt_doctor.report.model import finding_from_dict
    from virt_doctor.store.database import sessions
    from virt_doctor.store.incidents import incident, latest_finding

    with sessions(engine)() as session:
        found = incident(session, number)
        if found is None:
            raise fail(f"--incident {number}: no such incident in the store")
        newest = latest_finding(found)
        if not newest:
            raise fail(f"--incident {number}: no diagnosis with a finding (verdict {found.verdict}): nothing to fix")
        return finding_from_dict(newest, f"incident {number}")


def _problem_heading(problem: Any, output: str) -> None:
    """What a problem's plan is for: its root and cause, its findings in the order planned."""
    if output == "text":
        stdout_console().print(f"Problem {problem.id}: {problem.title} — {len(problem.findings)} finding"
                               f"{'s' if len(problem.findings) != 1 else ''}; the root's mitigation first",
                               markup=False, style="bold")
        stdout_console().print("")


def _render(plans: list[Any], findings: list[Finding], output: str, live: bool) -> None:
    from virt_doctor.report.text import evidence_line
    if output == "json":
        sys.stdout.write(orjson.dumps({"plans": [p.to_dict() for p in plans]}, option=orjson.OPT_INDENT_2).decode()
                         + "\n")
        return
    out = stdout_console()
    for finding in findings:
        mine = [p for p in plans if p.finding.id == finding.id]
        out.print(f"{finding.alert}  {finding.subject.ref()}  [{finding.id}]", markup=False, style="bold")
        out.print(f"  cause: {finding.cause.title} ({finding.cause.confidence})", markup=False)
        for item in finding.evidence[:3]:
            out.print(f"  evidence: {item.object}" + (f" {item.path}={item.value}" if item.path else "")
                      + (f" — {item.note}" if item.note else ""), markup=False)
        if not mine and any(s.action is not None for s in finding.remediation) and \
                any(p.finding.id != finding.id for p in plans):
            out.print("  its action is planned above, under another finding of this problem (the same request)",
                      markup=False)
        elif not mine:
            manual = [s for s in finding.remediation if s.risk != "read-only"]
            out.print("  no step virt-doctor can carry out" + (": by hand —" if manual else ""), markup=False)
            for s in manual:
                out.print(f"    $ {s.command}", markup=False)
        for plan in mine:
            request = plan.request
            out.print(f"  [{plan.step.risk}] {plan.step.title}  (--step {plan.step.id})", markup=False)
            for item in finding.evidence:  # what the action acts on, always: the taint it removes, the finalizer
                if item.object == plan.action.ref() and item.path:
                    out.print(f"    rests on: {evidence_line(item)}", markup=False)
            out.print(f"    request: {request.method} {request.path} "
                      f"{orjson.dumps(request.body).decode() if request.body is not None else ''}", markup=False)
            out.print(f"    kubectl: {plan.step.command}", markup=False)
            if plan.preview is not None:
                if plan.preview.accepted:
                    out.print("    dry run: accepted by the API server; it would change:", markup=False)
                    for line in plan.preview.diff or ["(nothing)"]:
                        out.print(f"      {line}", markup=False)
                else:
                    out.print(f"    dry run: refused (HTTP {plan.preview.status}): {plan.preview.error}", markup=False)
            elif not live:
                out.print("    (from a dump: no preview; run fix against the live cluster)", markup=False)
        out.print("")


def _say_outcomes(plans: list[Any], output: str) -> None:
    if output == "json":
        sys.stdout.write(orjson.dumps({"applied": [p.to_dict() for p in plans]}, option=orjson.OPT_INDENT_2).decode()
                         + "\n")
        return
    for plan in plans:
        stderr_console().print(f"virt-doctor: {plan.step.id} on {plan.action.ref()}: {plan.outcome} — {plan.detail}",
                               markup=False)
