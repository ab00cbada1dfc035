"""VirtControllerRESTErrorsBurst: more than 80% of virt-controller's REST calls failed over 5m."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, rule
from virt_doctor.rules.diagnose.components import VIRT_CONTROLLER
from virt_doctor.rules.diagnose.rest_errors import CAUSES, queries, rest_errors


@rule("VirtControllerRESTErrorsBurst", causes=CAUSES, queries=queries("virt-controller", "5m", 0.8))
def virt_controller_rest_errors_burst(snap: Snapshot) -> Iterator[Detection]:
    """virt-controller's failing share of REST calls is at least 80% over 5m."""
    yield from rest_errors(snap, "VirtControllerRESTErrorsBurst", VIRT_CONTROLLER, "80%")
