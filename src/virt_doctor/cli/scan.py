"""`virt-doctor scan`: detect and diagnose every alert in a live cluster or a dump."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from virt_doctor.cli.errors import fail, handles_input_errors
from virt_doctor.cli.options import (
    AllNamespaces,
    Consistent,
    Context,
    Kubeconfig,
    Namespace,
    Output,
    PrometheusCA,
    PrometheusInsecure,
    PrometheusTimeout,
    PrometheusToken,
    PrometheusURL,
    Quiet,
    ReportFormat,
    dump_from,
    flag,
    prometheus_client,
    stderr_console,
    stdout_console,
)
from virt_doctor.timeutil import parse_user_time


@handles_input_errors
def scan(
    source: Annotated[Path | None, dump_from("A dump: directory, .tar (.tar.gz/.tgz, .xz, .bz2, .zst) or .zip of Kubernetes "
                                                     "objects (a must-gather works as is), or one .yaml/.json "
                                                     "file. Without it, the live cluster is read.")] = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    consistent: Consistent = False,
    quiet: Quiet = False,
    no_objects: Annotated[bool, flag("--no-objects", help="Read no cluster objects: only the metric "
                                             "alerts, from --prometheus.")] = False,
    at: Annotated[str | None, typer.Option("--at", help="Evaluation time (RFC 3339). Default: now for a live "
                                           "cluster; a dump's collection time, else its newest timestamp.")] = None,
    output: Output = ReportFormat.table,
    namespace: Namespace = None,
    all_namespaces: AllNamespaces = False,
    alert: Annotated[list[str] | None, typer.Option("--alert", metavar="ALERT", help="Only these alerts (repeatable).")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the report to this file instead of stdout "
                                                  "(atomically; table and wide are written as Markdown).")] = None,
    prometheus: PrometheusURL = None,
    prometheus_token: PrometheusToken = None,
    prometheus_ca: PrometheusCA = None,
    prometheus_insecure: PrometheusInsecure = False,
    prometheus_timeout: PrometheusTimeout = 10.0,
    alerts_only_: Annotated[bool, flag("--alerts-only", help="Only diagnose the alerts Prometheus has "
                                               "firing (needs --prometheus).")] = False,
) -> None:
    """Detect and diagnose every alert: in the live cluster (read-only), or in a dump with --from.

    The live cluster is the current kubeconfig context (or --context); with --prometheus,
    the metric alerts are evaluated too.

    Exit status: 0 nothing firing, 1 something firing, 2 bad input or an unreachable
    cluster, 3 nothing firing but an alert named with --alert could not be evaluated. A kind the credentials may not list, or a Prometheus that is down, slow
    or answers errors, does not change the exit status: the alerts that needed it
    are listed as skipped with the reason, and a warning is printed.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from virt_doctor.cli.output import exit_code, not_evaluated, render_report
    from virt_doctor.report.render import write_atomic
    from virt_doctor.report.text import render_table
    from virt_doctor.scan import LiveOptions, ScanRequest, run_scan
    if namespace and all_namespaces:
        raise fail("-n/--namespace and -A/--all-namespaces exclude each other")
    if no_objects and (source is not None or not prometheus):
        raise fail("--no-objects takes no --from and needs --prometheus URL")
    moment = parse_user_time(at) if at else None
    client = prometheus_client(prometheus, prometheus_token, prometheus_ca, prometheus_insecure, prometheus_timeout,
                               source, kubeconfig, context)
    err = stderr_console()
    show = not quiet and sys.stderr.isatty()
    live = None if source is not None or no_objects else LiveOptions(kubeconfig, context, consistent=consistent)
    request = ScanRequest(source=source, live=live, at=moment or (None if source else datetime.now(UTC)),
                          prometheus=client, only=alert or None, alerts_only=alerts_only_, namespace=namespace)
    try:
        if live is not None and show:
            with Progress(TextColumn("listing {task.description}"), BarColumn(), MofNCompleteColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task("the cluster", total=None)
                request = replace(request, live=replace(live, progress=lambda done, total, what: bar.update(
                    task, completed=done, total=total, description=what)))
                result = run_scan(request)
        elif source is not None and show:
            with err.status(f"reading {source} …"):
                result = run_scan(request)
        else:
            result = run_scan(request)
    finally:
        if client is not None:
            client.close()
    for warning in result.warnings:
        err.print(f"virt-doctor: warning: {warning}", markup=False)
    report = result.report
    named = [c.alert for c in report.coverage] if alert else []
    for line in not_evaluated(report, named):  # said first: an alert not evaluated is not a healthy one
        err.print(f"virt-doctor: {line}", markup=False)
    text = render_report(report, output)
    if out_file is not None:
        write_atomic(out_file, text if text is not None else render_report(report, ReportFormat.markdown) or "")
    elif text is not None:
        sys.stdout.write(text)
    else:
        render_table(report, stdout_console(), wide=output is ReportFormat.wide)
    raise typer.Exit(exit_code(report, named))

