"""What the report commands share: their exit codes and the report in a machine format."""

from __future__ import annotations

from virt_doctor.cli.options import ReportFormat
from virt_doctor.report.model import Report
from virt_doctor.report.render import report_json, report_yaml
from virt_doctor.report.text import render_markdown

EXIT_OK, EXIT_FIRING = 0, 1  # nothing fires / something fires (2: bad input, cli/errors.py)


def render_report(report: Report, output: ReportFormat) -> str | None:
    """The report as JSON, YAML or Markdown text; None for the terminal formats (printed with Rich)."""
    if output is ReportFormat.json:
        return report_json(report)
    if output is ReportFormat.yaml:
        return report_yaml(report)
    if output is ReportFormat.markdown:
        return render_markdown(report)
    return None
