"""What the report commands share: their exit codes and the report in a machine format."""

from __future__ import annotations

from collections.abc import Sequence

from virt_doctor.cli.options import ReportFormat
from virt_doctor.report.model import Report
from virt_doctor.report.render import report_json, report_yaml
from virt_doctor.report.text import render_markdown

EXIT_OK, EXIT_FIRING = 0, 1  # nothing fires / something fires (2: bad input, cli/errors.py)
EXIT_NOT_EVALUATED = 3  # nothing fires, and an alert the user named could not be evaluated


def not_evaluated(report: Report, named: Sequence[str]) -> list[str]:
    """The alerts the user named that could not be evaluated, each with why (in catalog order)."""
    wanted = set(named)
    return [f"{c.alert} was not evaluated: {c.reason}" for c in report.coverage
            if c.alert in wanted and c.status != "evaluated"]


def exit_code(report: Report, named: Sequence[str] = ()) -> int:
    """1 when something fires; else 3 when an alert the user named could not be evaluated (not healthy: unknown);
    else 0."""
    if report.firing:
        return EXIT_FIRING
    return EXIT_NOT_EVALUATED if not_evaluated(report, named) else EXIT_OK


def render_report(report: Report, output: ReportFormat) -> str | None:
    """The report as JSON, YAML or Markdown text; None for the terminal formats (printed with Rich)."""
    if output is ReportFormat.json:
        return report_json(report)
    if output is ReportFormat.yaml:
        return report_yaml(report)
    if output is ReportFormat.markdown:
        return render_markdown(report)
    return None
