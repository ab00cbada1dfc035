"""VirtOperatorRESTErrorsHigh: more than 5% of virt-operator's REST calls failed over 60m."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.components import VIRT_OPERATOR
from virt_doctor.rules.diagnose.rest_errors import CAUSES, queries, rest_errors


@rule("VirtOperatorRESTErrorsHigh", causes=CAUSES, queries=queries("virt-operator", "60m", 0.05))
def virt_operator_rest_errors_high(snap: Snapshot) -> Iterator[Detection]:
    """virt-operator's failing share of REST calls is at least 5% over 60m."""
    yield from rest_errors(snap, "VirtOperatorRESTErrorsHigh", VIRT_OPERATOR, "5%")
