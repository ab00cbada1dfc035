"""SSPCommonTemplatesModificationReverted: the SSP operator reverted a change to a common template."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, rule
from virt_doctor.rules.diagnose.metrics import holding, metric_evidence
from virt_doctor.wording import counted

CONDITION = "sum by (namespace) (increase(kubevirt_ssp_common_templates_restored_total[1h])) > 0"


@rule("SSPCommonTemplatesModificationReverted", causes=("template-edited", "unknown"),
      queries={"condition": CONDITION})
def ssp_common_templates_modification_reverted(snap: Snapshot) -> Iterator[Detection]:
    """A common template was restored by the SSP operator in the last hour."""
    for series, since in holding(snap, "SSPCommonTemplatesModificationReverted"):
        ns = series.labels.get("namespace", "")
        yield Detection(Subject("Deployment", ns, "ssp-operator"), "template-edited",
                        f"the SSP operator reverted {counted(max(1, round(series.last)), 'edit')} of common templates "
                        "in the last hour",
                        since=since, evidence=(metric_evidence("common templates restored (1h)", series, value=f"{series.last:.0f}"),),
                        params={"ssp-namespace": ns})
