"""`virt-doctor diagnose ALERT`: one alert instance, as a page names it, diagnosed from only what its rule reads."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from virt_doctor.catalog import load_catalog
from virt_doctor.cli.errors import fail, handles_input_errors
from virt_doctor.cli.options import (
    Consistent,
    Context,
    Kubeconfig,
    Output,
    Quiet,
    ReportFormat,
    parse_labels,
    stderr_console,
    stdout_console,
)
from virt_doctor.timeutil import parse_user_time

if TYPE_CHECKING:
    from virt_doctor.report.model import Report


@handles_input_errors
def diagnose(
    alert: Annotated[str | None, typer.Argument(metavar="ALERT", help="The alert's name (as `alertname` says it).",
                                                show_default=False)] = None,
    label: Annotated[list[str] | None, typer.Option("--label", "-l", metavar="K=V", help="A label of the alert instance, k=v "
                                                    "(repeatable): namespace, name, node, pod, ...")] = None,
    alert_json: Annotated[str | None, typer.Option("--alert-json", help="One alert as Alertmanager or Prometheus "
                                                   "sends it (or a webhook payload), from a file or - (stdin).",
                                                   show_default=False)] = None,
    source: Annotated[Path | None, typer.Option("--from", "-f", help="A dump instead of the live cluster.",
                                                show_default=False)] = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    consistent: Consistent = False,
    quiet: Quiet = False,
    at: Annotated[str | None, typer.Option("--at", help="Evaluation time (RFC 3339); default now (live).")] = None,
    output: Output = ReportFormat.table,
) -> None:
    """Diagnose one alert instance the way a page names it: the alert and its labels, or the alert as JSON.

    Live, it lists only the kinds that alert's rule reads, and where the alert's labels bound the instance (its
    namespace, its node) only that namespace or the objects on that node, so it is the fast path at 3 a.m.; the
    finding is the one a full scan gives for that instance. Exit status: 0 the condition does not hold, 1 it does, 2 bad
    input, 3 the alert could not be evaluated (the reason is said first).
    """
    from virt_doctor.cli.output import exit_code, not_evaluated, render_report
    from virt_doctor.report.match import matches
    from virt_doctor.report.text import belongs_to, render_table
    from virt_doctor.rules.reads import kinds_read_by
    from virt_doctor.scan import LiveOptions, ScanRequest, focus_for, run_scan
    alerts = _alerts(alert, label or [], alert_json)
    names = [load_catalog().get(name).name for name, _ in alerts]
    moment = parse_user_time(at) if at else None
    instances = {(name, tuple(sorted(labels.items()))) for (_, labels), name in zip(alerts, names, strict=True)}
    focus = focus_for(names[0], alerts[0][1]) if len(instances) == 1 else None  # several: each kind whole
    live = None if source is not None else LiveOptions(kubeconfig, context, kinds=kinds_read_by(names),
                                                       consistent=consistent, focus=focus)
    # from a dump every alert is evaluated (it costs little), so the problem an instance belongs to is the one a
    # scan shows; live, only what its rule reads is listed, and its problem is what its own evidence shows
    request = ScanRequest(source=source, live=live, at=moment or (None if source else datetime.now(UTC)),
                          only=names if source is None else None,
                          asked={name: labels for (_, labels), name in zip(alerts, names, strict=True)})
    if not quiet and sys.stderr.isatty():
        with stderr_console().status(f"diagnosing {', '.join(names)} …"):
            result = run_scan(request)
    else:
        result = run_scan(request)
    findings = tuple(f for (name, labels), canonical in zip(alerts, names, strict=True)
                     for f in result.report.findings if f.alert == canonical and matches(f, labels))
    ids = {f.id for f in findings}
    report = replace(result.report, findings=findings,
                     coverage=tuple(c for c in result.report.coverage if c.alert in names),
                     problems=tuple(p for p in result.report.problems if ids & set(p.findings)))
    for warning in result.warnings:
        stderr_console().print(f"virt-doctor: warning: {warning}", markup=False)
    for line in not_evaluated(report, names):  # said first: an alert not evaluated is not a healthy one
        stderr_console().print(f"virt-doctor: {line}", markup=False)
    text = render_report(report, output)
    if text is not None:
        sys.stdout.write(text)
    else:
        # an alert instance first (as the page named it), then the problem it belongs to
        render_table(replace(report, problems=()), stdout_console(), wide=output is ReportFormat.wide,
                     command="diagnose")
        if not findings:
            _say_why_none(report, names)
        for line in belongs_to(report, {f.id: f for f in result.report.findings}, live=source is None):
            stdout_console().print(line, markup=False)
    raise typer.Exit(exit_code(report, names))


def _alerts(alert: str | None, labels: list[str], alert_json: str | None) -> list[tuple[str, dict[str, str]]]:
    """(alert name, labels) for each alert asked about."""
    if alert_json is not None:
        if alert or labels:
            raise fail("give an alert name and --label, or --alert-json, not both")
        return _from_json(alert_json)
    if not alert:
        raise fail("name the alert (virt-doctor diagnose ALERT --label k=v), or give --alert-json FILE|-")
    return [(alert, parse_labels(labels))]


def _from_json(where: str) -> list[tuple[str, dict[str, str]]]:
    try:
        data: Any = orjson.loads(sys.stdin.buffer.read() if where == "-" else Path(where).read_bytes())
    except FileNotFoundError:
        raise fail(f"--alert-json {where}: no such file") from None
    except orjson.JSONDecodeError as exc:
        raise fail(f"--alert-json {where}: not JSON ({exc})") from None
    items: list[Any] = data["alerts"] if isinstance(data, dict) and isinstance(data.get("alerts"), list) else \
        data if isinstance(data, list) else [data]
    out = []
    for index, item in enumerate(items):
        labels = item.get("labels") if isinstance(item, dict) else None
        if not isinstance(labels, dict) or not labels.get("alertname"):
            raise fail(f"--alert-json {where}: alert {index} has no labels.alertname")
        out.append((str(labels["alertname"]), {str(k): str(v) for k, v in labels.items()}))
    if not out:
        raise fail(f"--alert-json {where}: no alerts in it")
    return out


def _say_why_none(report: Report, names: list[str]) -> None:
    for entry in report.coverage:
        if entry.alert in names:
            why = f"not evaluated: {entry.reason}" if entry.status == "skipped" else \
                "its condition does not hold for that instance now" + (f" ({entry.reason})" if entry.reason else "")
            stdout_console().print(f"{entry.alert}: {why}", markup=False)
