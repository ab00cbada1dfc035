"""The alert conditions on a component's pods (down, none ready, too few, fewer ready), and the finding they make."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from virt_doctor.report.model import Subject
from virt_doctor.rules.detection import CannotEvaluate, Detection
from virt_doctor.rules.diagnose.components import (
    Component,
    ComponentState,
    component_state,
    diagnose_component,
    unseen_for,
)
from virt_doctor.rules.registry import Read
from virt_doctor.snapshot import access as a
from virt_doctor.snapshot.snapshot import Snapshot

Condition = Callable[[ComponentState], str | None]

COMPONENT_CAUSES = ("deployment-missing", "scaled-to-zero", "pod-crash-looping", "image-pull-failure", "oom-killed",
                    "pod-unschedulable", "node-not-ready", "api-server-unreachable", "dns-failure",
                    "readiness-probe-failing", "unknown")
LOW_COUNT_CAUSES = (*COMPONENT_CAUSES, "too-few-schedulable-nodes")


def needs_of(component: Component) -> tuple[Read, ...]:
    """The component's pods and workload, listed in its namespace: without them "down" cannot be told."""
    return (Read("Pod", component.placeholder), Read(component.kind, component.placeholder))


def reads_of(component: Component) -> tuple[Read, ...]:
    """What else the shared diagnosis reads: workloads by name, pods by label, nodes, events, the installer CRs."""
    return (Read("Deployment"), Read("DaemonSet"), Read("Pod"), Read("Node"), Read("Event", component.placeholder),
            *(Read(kind) for kind in component.installed_by))


def none_running(state: ComponentState) -> str | None:
    """No pod in phase Running (a crash-looping pod still is): VirtAPIDown, VirtControllerDown, VirtOperatorDown."""
    return None if state.running else f"no {state.component.name} pod is running"


def none_ready(state: ComponentState) -> str | None:
    """No pod Ready: the 'NoReady…' alerts, and the operators' '…Down' alerts, which read the `up` metric."""
    return None if state.ready else f"no {state.component.name} pod is ready"


def low_running(state: ComponentState) -> str | None:
    """Running pods below 75% of the replicas wanted, with at least one running: the 'Low…Count' alerts."""
    if not state.running or state.desired <= 0 or len(state.running) / state.desired >= 0.75:
        return None
    return f"only {len(state.running)} of {state.desired} {state.component.name} pods are running"


def fewer_ready_than_running(state: ComponentState) -> str | None:
    """Some pods run and some are ready, but fewer ready than running: the 'LowReady…' alerts."""
    running, ready = len(state.running), len(state.ready)
    if not running or not ready or ready >= running:
        return None
    return f"only {ready} of {running} running {state.component.name} pods are ready"


def component_alert(snap: Snapshot, component: Component, condition: Condition,
                    low_count: bool = False, expected: bool = False, alert: str = "") -> Iterator[Detection]:
    """One finding on the component's workload when the condition holds, diagnosed by the shared diagnosis.

    `expected`: the caller knows the component should be deployed (even if nothing of it is in the source).
    """
    state = component_state(snap, component)
    if not (state.installed or expected):
        return
    unseen = unseen_for(snap, state)
    if unseen:
        raise CannotEvaluate(unseen)
    what = condition(state)
    if what is None:
        return
    diagnosis = diagnose_component(snap, state, low_count=low_count, asked=snap.asked.get(alert))
    transitions = [a.transitioned(a.condition(p, "Ready")) for p in state.pods if not a.pod_is_ready(p)]
    since = max((t for t in transitions if t), default=None) or diagnosis.since
    yield Detection(
        Subject(component.kind, state.namespace, component.name), diagnosis.cause, f"{what}: {diagnosis.why}",
        since=since, evidence=diagnosis.evidence,
        params={**diagnosis.params, component.placeholder: state.namespace}, checked=diagnosis.checked,
        confidence="high" if diagnosis.cause != "unknown" else "low")
