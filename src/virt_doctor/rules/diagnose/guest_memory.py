"""A guest short of memory (the 'KubeVirtVMGuestMemory…' alerts): is it swapping, re-reading its pages, or
simply full with nothing to fall back on?"""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.report.model import Subject
from virt_doctor.rules.detection import Detection
from virt_doctor.rules.diagnose.metrics import answer, holding, metric_evidence
from virt_doctor.snapshot.metrics import Series
from virt_doctor.snapshot.snapshot import Snapshot

# kubevirt's recording rules, inlined (vmi:kubevirt_vmi_memory_headroom_ratio:sum and friends); the memory
# series are named after the launcher pod, kubevirt_vmi_info maps it (vmi_pod) to the VMI (vm)
BY = "by (name, namespace)"
HEADROOM = (f"sum {BY} (kubevirt_vmi_memory_usable_bytes) / sum {BY} (kubevirt_vmi_memory_available_bytes)")
AVAILABLE = f"sum {BY} (kubevirt_vmi_memory_available_bytes)"
RUNNING = ("topk by (name, namespace) (1, label_replace(label_replace(kubevirt_vmi_info{phase='running'}, "
           "'vm', '$1', 'name', '(.+)'), 'name', '$1', 'vmi_pod', '(.+)'))")


def major_faults(window: str) -> str:
    """Major page faults a second, per VMI, over `window`."""
    return f"sum {BY} (rate(kubevirt_vmi_memory_pgmajfault_total[{window}]))"


def swap_traffic(window: str) -> str:
    """Bytes a second swapped in and out, per VMI, over `window`."""
    return (f"sum {BY} (rate(kubevirt_vmi_memory_swap_in_traffic_bytes[{window}])) + "
            f"sum {BY} (rate(kubevirt_vmi_memory_swap_out_traffic_bytes[{window}]))")


PRESSURE = (f"((({HEADROOM}) < 0.05) and (({major_faults('5m')}) > 5 or (({swap_traffic('5m')}) > 1048576)) "
            f"and (({AVAILABLE}) > 0)) * on(name, namespace) group_left(vm) {RUNNING}")
LOW = (f"((({HEADROOM}) < 0.03) and (({swap_traffic('30m')}) < 2048) and (({major_faults('30m')}) < 1) "
       f"and (({AVAILABLE}) > 0)) * on(name, namespace) group_left(vm) {RUNNING}")
SWAPPING = 1048576  # bytes a second: the alert's swap-traffic bar
FAULTING = 5  # major faults a second


def memory_queries(condition: str, window: str) -> dict[str, str]:
    """The alert's condition, and the paging series its diagnosis reads."""
    return {"condition": condition, "headroom": HEADROOM, "faults": major_faults(window), "swap": swap_traffic(window)}


def _by_vmi(series: list[Series]) -> dict[tuple[str, str], Series]:
    return {(s.labels.get("namespace", ""), s.labels.get("name", "")): s for s in series}


def guest_short_of_memory(snap: Snapshot, alert: str, pressure: bool) -> Iterator[Detection]:
    """One finding per running VM short of memory: swapping, re-reading pages, or full without swap."""
    headroom, faults, swap = (_by_vmi(answer(snap, alert, name)) for name in ("headroom", "faults", "swap"))
    for series, since in holding(snap, alert):
        ns, pod = series.labels.get("namespace", ""), series.labels.get("name", "")
        vm = series.labels.get("vm") or pod
        key = (ns, pod)
        evidence = []
        if key in headroom:
            evidence.append(metric_evidence("usable share of the guest's memory", headroom[key],
                                            "under 5%" if pressure else "under 3%",
                                            value=f"{headroom[key].last:.1%}"))
        rate, traffic = faults.get(key), swap.get(key)
        if rate is not None:
            evidence.append(metric_evidence("major page faults a second", rate, value=round(rate.last, 1)))
        if traffic is not None:
            evidence.append(metric_evidence("swap traffic (bytes a second)", traffic,
                                            value=f"{traffic.last / 2**20:.1f} MiB/s"))
        params = {"namespace": ns, "vm": vm, "pod": pod}
        free = f"{headroom[key].last:.1%} of its memory usable" if key in headroom else "little memory usable"
        subject = Subject("VirtualMachine", ns, vm)
        if not pressure:
            cause = "no-swap-in-guest" if rate is not None and traffic is not None else "unknown"
            yield Detection(subject, cause, f"VM {ns}/{vm}'s guest has had {free} for 30 minutes and no swap to "
                            "fall back on", since=since, evidence=tuple(evidence), params=params,
                            checked=("paging and swap series (none answered)",) if cause == "unknown" else ())
        elif traffic is not None and traffic.last > SWAPPING:
            yield Detection(subject, "guest-swapping", f"VM {ns}/{vm}'s guest has {free} and swaps "
                            f"{traffic.last / 2**20:.1f} MiB/s", since=since, evidence=tuple(evidence), params=params)
        elif rate is not None and rate.last > FAULTING:
            yield Detection(subject, "page-cache-thrashing", f"VM {ns}/{vm}'s guest has {free} and re-reads "
                            f"{rate.last:.0f} pages a second from disk", since=since, evidence=tuple(evidence),
                            params=params)
        else:
            yield Detection(subject, "unknown", f"VM {ns}/{vm}'s guest is under memory pressure ({free})",
                            since=since, evidence=tuple(evidence), params=params,
                            checked=("paging and swap series",))
