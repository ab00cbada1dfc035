"""VirtHandlerRESTErrorsHigh: more than 5% of virt-handler's REST calls failed over 60m."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.components import VIRT_HANDLER
from virt_doctor.rules.diagnose.rest_errors import CAUSES, queries, rest_errors


@rule("VirtHandlerRESTErrorsHigh", causes=CAUSES, queries=queries("virt-handler", "60m", 0.05))
def virt_handler_rest_errors_high(snap: Snapshot) -> Iterator[Detection]:
    """virt-handler's failing share of REST calls is at least 5% over 60m."""
    yield from rest_errors(snap, "VirtHandlerRESTErrorsHigh", VIRT_HANDLER, "5%")
