"""VMNonRecoverableOSPanic: a VM's guest crashed in the last 24 hours (critical past 5 crashes, warning from 1)."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.guest_panic import CRASH_LOOP, PANICS, PANICS_24H
from virt_doctor.rules.diagnose.metrics import holding_levels, metric_evidence

ALERT = "VMNonRecoverableOSPanic"
KUBEVIRT = f'label_replace(sum by (namespace, name) (increase({PANICS}[24h])) > {CRASH_LOOP}, "vm", "$1", "name", "(.+)")'
HCO = f'label_replace({PANICS_24H} > 0 and {PANICS_24H} <= {CRASH_LOOP}, "vm", "$1", "name", "(.+)")'


@rule(ALERT, reads=("VirtualMachine",), causes=("crash-loop", "single-crash", "unknown"),
      queries={"condition": KUBEVIRT, "condition:warning": HCO})
def vm_non_recoverable_os_panic(snap: Snapshot) -> Iterator[Detection]:
    """A guest that crashed: once or a few times, or again after every restart."""
    for series, since, severity in holding_levels(snap, ALERT):
        ns, name = series.labels.get("namespace", ""), series.labels.get("name", "")
        count = series.last
        vm = snap.get("VirtualMachine", ns, name)
        strategy = a.vm_run_strategy(vm) if vm is not None else ""
        evidence = [metric_evidence("guest OS panics in the last 24 hours", series, value=round(count))]
        if vm is not None:
            evidence.append(Evidence(object=a.ref(vm), path="spec.runStrategy", value=strategy or None,
                                     note="restarted after each crash" if strategy in ("Always", "RerunOnFailure")
                                     else ""))
        params = {"namespace": ns, "vm": name}
        text = f"VM {ns}/{name}'s guest OS crashed {count:.0f} time{'s' if round(count) != 1 else ''} in 24 hours"
        cause = "crash-loop" if count > CRASH_LOOP else "single-crash"
        yield Detection(Subject("VirtualMachine", ns, name), cause,
                        text + (f" and restarts into it (runStrategy {strategy})" if cause == "crash-loop" and strategy
                                else ""),
                        since=since, evidence=tuple(evidence), params=params, severity=severity)
