"""`virt-doctor list` and `virt-doctor explain`: the runbook catalog."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from virt_doctor.catalog import load_catalog
from virt_doctor.cli.errors import handles_input_errors
from virt_doctor.cli.options import CatalogFormat, CatalogOutput, stdout_console
from virt_doctor.report.explain import entry_markdown, list_markdown, list_rows, render_entry, render_list


@handles_input_errors
def list_alerts(output: CatalogOutput = CatalogFormat.table) -> None:
    """List every alert in the runbook catalog."""
    catalog = load_catalog()
    if output is CatalogFormat.json:
        from virt_doctor.report.render import to_json

        sys.stdout.write(to_json(list_rows(catalog)))
    elif output is CatalogFormat.yaml:
        from virt_doctor.report.render import to_yaml

        sys.stdout.write(to_yaml(list_rows(catalog)))
    elif output is CatalogFormat.markdown:
        sys.stdout.write(list_markdown(catalog))
    else:
        render_list(catalog, stdout_console(), wide=output is CatalogFormat.wide)


@handles_input_errors
def explain(
    alert: Annotated[str, typer.Argument(metavar="ALERT", help="Alert name, e.g. VirtualMachineStuckOnNode (case-insensitive).")],
    output: CatalogOutput = CatalogFormat.table,
) -> None:
    """Show an alert's runbook: meaning, impact, causes, diagnosis and mitigation commands."""
    entry = load_catalog().get(alert)
    if output is CatalogFormat.json:
        from virt_doctor.report.render import to_json

        sys.stdout.write(to_json(entry.to_dict()))
    elif output is CatalogFormat.yaml:
        from virt_doctor.report.render import to_yaml

        sys.stdout.write(to_yaml(entry.to_dict()))
    elif output is CatalogFormat.markdown:
        sys.stdout.write(entry_markdown(entry))
    else:
        render_entry(entry, stdout_console())
