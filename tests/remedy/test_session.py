"""Choosing the finding a fix is for: by id prefix, by alert and labels, one and only one, said in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from virt_doctor.errors import InputError
from virt_doctor.remedy.session import choose
from virt_doctor.scan import ScanRequest, run_scan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken-cluster"


def test_a_finding_is_chosen_by_id_prefix_or_by_its_labels() -> None:
    findings = run_scan(ScanRequest(source=EXAMPLE)).report.findings
    target = next(f for f in findings if f.alert == "OrphanedVirtualMachineInstances")
    assert choose(findings, target.id[:8]) is target
    assert choose(findings, alert=target.alert, labels={"node": target.labels["node"]}) is target
    with pytest.raises(InputError, match="give at least 6 characters"):
        choose(findings, target.id[:5])
    with pytest.raises(InputError, match="no longer holds: nothing to fix"):
        choose(findings, "ffffffffff", wanted=target)
    several = [f.alert for f in findings]
    repeated = next(a for a in several if several.count(a) > 1)
    with pytest.raises(InputError, match=r"findings match \("):
        choose(findings, alert=repeated)
    with pytest.raises(InputError, match="name the finding"):
        choose(findings)
