"""`virt-doctor rules`: the metric alerts as Prometheus rules."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from virt_doctor.catalog import load_catalog
from virt_doctor.cli.errors import handles_input_errors


class RulesFormat(StrEnum):
    prometheusrule = "prometheusrule"
    prometheus = "prometheus"


def conditions() -> dict[str, dict[str, str]]:
    """Every metric rule's alert expressions, by alert, by severity ('' for the catalog's own; 'condition:critical'
    is the same alert's definition at critical)."""
    import virt_doctor.rules.all  # noqa: F401  (registers)
    from virt_doctor.rules.registry import REGISTRY

    return {spec.alert: {name.partition(":")[2]: expr for name, expr in spec.queries.items()
                         if name.partition(":")[0] == "condition"}
            for spec in REGISTRY if "condition" in spec.queries}


@handles_input_errors
def rules(
    fmt: Annotated[RulesFormat, typer.Option("--format", help="prometheusrule: a monitoring.coreos.com/v1 object; "
                                             "prometheus: a plain rule file for --config rule_files.")]
    = RulesFormat.prometheusrule,
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Namespace of the PrometheusRule.")] = "openshift-cnv",
) -> None:
    """Print the metric alerts as Prometheus alerting rules (check them with promtool check rules)."""
    from virt_doctor.report.prometheus_rules import prometheus_rule, rule_groups
    from virt_doctor.report.render import to_yaml

    catalog = load_catalog()
    if fmt is RulesFormat.prometheus:
        sys.stdout.write(to_yaml({"groups": rule_groups(catalog, conditions())}))
    else:
        sys.stdout.write(to_yaml(prometheus_rule(catalog, conditions(), namespace)))
