"""VirtHandlerRESTErrorsBurst: more than 80% of virt-handler's REST calls failed over 5m."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.components import VIRT_HANDLER
from virt_doctor.rules.diagnose.rest_errors import CAUSES, queries, rest_errors


@rule("VirtHandlerRESTErrorsBurst", causes=CAUSES, queries=queries("virt-handler", "5m", 0.8))
def virt_handler_rest_errors_burst(snap: Snapshot) -> Iterator[Detection]:
    """virt-handler's failing share of REST calls is at least 80% over 5m."""
    yield from rest_errors(snap, "VirtHandlerRESTErrorsBurst", VIRT_HANDLER, "80%")
