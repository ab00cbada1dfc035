"""SSPHighRateRejectedVms: the template validator rejected more than 5 VMs in the last hour."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, rule
from virt_doctor.rules.diagnose.metrics import holding, metric_evidence

CONDITION = "sum by (namespace) (increase(kubevirt_ssp_template_validator_rejected_total[1h])) > 5"


@rule("SSPHighRateRejectedVms", causes=("invalid-vm-specs", "unknown"), queries={"condition": CONDITION})
def ssp_high_rate_rejected_vms(snap: Snapshot) -> Iterator[Detection]:
    """More than five rejections by virt-template-validator within an hour."""
    for series, since in holding(snap, "SSPHighRateRejectedVms"):
        ns = series.labels.get("namespace", "")
        yield Detection(Subject("Deployment", ns, "virt-template-validator"), "invalid-vm-specs",
                        f"the template validator rejected {series.last:.0f} VM changes in the last hour", since=since,
                        evidence=(metric_evidence("rejected VMs (1h)", series, "more than 5", value=f"{series.last:.0f}"),),
                        params={"ssp-namespace": ns})
