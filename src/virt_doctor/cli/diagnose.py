"""`virt-doctor diagnose ALERT`: one alert instance, as a page names it, diagnosed from only what its rule reads."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from virt_doctor.cli.errors import fail, handles_input_errors
from virt_doctor.cli.options import (
    Consistent,
    Context,
    Kubeconfig,
    Output,
    Quiet,
    ReportFormat,
    dump_from,
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
    source: Annotated[Path | None, dump_from("A dump instead of the live cluster.")] = None,
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
    from virt_doctor.diagnosis import diagnose as run_diagnosis
    from virt_doctor.report.text import belongs_to, render_table
    from virt_doctor.scan import LiveOptions
    alerts = _alerts(alert, label or [], alert_json)
    moment = parse_user_time(at) if at else None
    live = None if source is not None else LiveOptions(kubeconfig, context, consistent=consistent)
    if not quiet and sys.stderr.isatty():
        with stderr_console().status(f"diagnosing {', '.join(dict.fromkeys(name for name, _ in alerts))} …"):
            result = run_diagnosis(alerts, source, live, moment)
    else:
        result = run_diagnosis(alerts, source, live, moment)
    report, names = result.report, result.names
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
        if not report.findings:
            _say_why_none(report, names)
        for line in belongs_to(report, {f.id: f for f in result.everything.findings}, live=result.live):
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
    from virt_doctor.diagnosis import instances_from_payload

    return instances_from_payload(data, f"--alert-json {where}")


def _say_why_none(report: Report, names: list[str]) -> None:
    for entry in report.coverage:
        if entry.alert in names:
            why = f"not evaluated: {entry.reason}" if entry.status == "skipped" else \
                "its condition does not hold for that instance now" + (f" ({entry.reason})" if entry.reason else "")
            stdout_console().print(f"{entry.alert}: {why}", markup=False)
