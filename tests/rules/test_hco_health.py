"""HCOOperatorConditionsUnhealthy fires at the severity HCO's health maps to: error critical, warning warning."""

from __future__ import annotations

import pytest

from tests.conftest import SimulateFn, findings_for, scan


@pytest.mark.parametrize(("fault", "severity", "cause", "names"), [
    ("hco-operand-degraded", "critical", "operand-not-available", "CDI"),
    ("hco-reconciling", "warning", "reconcile-in-progress", "not complete"),
])
def test_the_finding_takes_the_severity_of_hcos_health(simulated: SimulateFn, fault: str, severity: str, cause: str,
                                                        names: str) -> None:
    path, _ = simulated([fault])
    [finding] = findings_for(scan(path), "HCOOperatorConditionsUnhealthy")
    assert (finding.severity, finding.cause.id) == (severity, cause)
    assert names in finding.summary
    assert any(e.path == "status.systemHealthStatus" for e in finding.evidence)
