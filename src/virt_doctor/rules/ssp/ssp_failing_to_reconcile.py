"""SSPFailingToReconcile: the SSP operator runs, but its reconcile keeps failing."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, rule
from virt_doctor.rules.diagnose.components import TEMPLATE_VALIDATOR, component_state
from virt_doctor.rules.diagnose.metrics import holding, metric_evidence
from virt_doctor.wording import counted

CONDITION = ('(max by (namespace) (kubevirt_ssp_operator_reconcile_succeeded) == 0) and on (namespace) '
             '(sum by (namespace) (up{pod=~"ssp-operator.*"}) > 0)')


@rule("SSPFailingToReconcile", causes=("reconcile-error", "validator-failing", "unknown"),
      queries={"condition": CONDITION})
def ssp_failing_to_reconcile(snap: Snapshot) -> Iterator[Detection]:
    """ssp-operator is up and reports its last reconcile failed."""
    for series, since in holding(snap, "SSPFailingToReconcile"):
        ns = series.labels.get("namespace", "")
        validator = component_state(snap, TEMPLATE_VALIDATOR)
        failing = validator.installed and validator.pods and len(validator.ready) < len(validator.pods)
        cause = "validator-failing" if failing else "reconcile-error"
        unready = len(validator.pods) - len(validator.ready)
        why = (f"{counted(unready, 'virt-template-validator pod')} {'is' if unready == 1 else 'are'} not ready"
               if failing else "see the ssp-operator log for the reconcile error")
        yield Detection(Subject("Deployment", ns, "ssp-operator"), cause,
                        f"the SSP operator is up but fails to reconcile: {why}", since=since,
                        evidence=(metric_evidence("kubevirt_ssp_operator_reconcile_succeeded == 0, operator up",
                                                  series),), params={"ssp-namespace": ns})
