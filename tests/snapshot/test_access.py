"""Accessors over plain dicts: quantities, taints, selectors, readiness."""

from __future__ import annotations

import pytest

from virt_doctor.snapshot import access as a


@pytest.mark.parametrize(("text", "value"), [("1k", 1000), ("500m", 0.5), ("2Gi", 2 * 2**30), ("263842664Ki", 263842664 * 1024),
                                             (4, 4), ("0", 0), ("1.5", 1.5), ("bogus", 0), ("1e3", 1000)])
def test_quantity(text: object, value: float) -> None:
    assert a.quantity(text) == value


def test_taint_toleration_follows_the_scheduler() -> None:
    taint = {"key": "maintenance", "value": "fw", "effect": "NoExecute"}
    assert a.taint_tolerated(taint, [{"operator": "Exists"}])
    assert a.taint_tolerated(taint, [{"key": "maintenance", "operator": "Exists", "effect": "NoExecute"}])
    assert a.taint_tolerated(taint, [{"key": "maintenance", "operator": "Equal", "value": "fw"}])
    assert not a.taint_tolerated(taint, [{"key": "maintenance", "operator": "Equal", "value": "other"}])
    assert not a.taint_tolerated(taint, [{"key": "maintenance", "operator": "Exists", "effect": "NoSchedule"}])
    assert not a.taint_tolerated(taint, [{"key": "CriticalAddonsOnly", "operator": "Exists"}])


def test_node_affinity_terms_are_ored_and_expressions_anded() -> None:
    labels = {"zone": "a", "disk": "ssd"}
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
        {"matchExpressions": [{"key": "disk", "operator": "Exists"}, {"key": "gpu", "operator": "DoesNotExist"}]}]}}}
    assert a.required_affinity_matches(affinity, labels)
    assert not a.required_affinity_matches(affinity, {"zone": "a", "disk": "ssd", "gpu": "1"})
    assert a.required_affinity_matches(None, labels)
    assert a.selector_matches({"zone": "a"}, labels) and not a.selector_matches({"zone": "b"}, labels)


def test_pod_readiness_needs_running_ready_and_not_deleting() -> None:
    pod = {"metadata": {}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    assert a.pod_is_ready(pod)
    assert not a.pod_is_ready({**pod, "metadata": {"deletionTimestamp": "2026-11-20T00:00:00Z"}})
    assert not a.pod_is_ready({**pod, "status": {**pod["status"], "phase": "Pending"}})


def test_run_strategy_reads_the_deprecated_running_field() -> None:
    assert a.vm_run_strategy({"spec": {"running": True}}) == "Always"
    assert a.vm_run_strategy({"spec": {"running": False}}) == "Halted"
    assert a.vm_run_strategy({"spec": {"runStrategy": "RerunOnFailure", "running": True}}) == "RerunOnFailure"
