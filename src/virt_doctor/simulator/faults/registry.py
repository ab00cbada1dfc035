"""The fault registry: @fault(name, alert, cause, help) records a FaultSpec; inject() applies one by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from virt_doctor.simulator.cluster import Cluster

Obj = dict[str, Any]


FaultFn = Callable[..., None]


@dataclass(frozen=True)
class FaultSpec:
    """A named fault. A parameterised one (`param`) is written NAME:ARG, e.g. component-crashloop:virt-api."""

    name: str
    alert: str
    cause: str
    help: str
    fn: FaultFn
    param: str = ""
    default: str = ""


FAULTS: dict[str, FaultSpec] = {}


ALIASES = {"orphaned-vmi": "handler-crashloop"}


def fault(name: str, alert: str, cause: str, help: str, param: str = "",
          default: str = "") -> Callable[[FaultFn], FaultFn]:
    def decorate(fn: FaultFn) -> FaultFn:
        if name in FAULTS:
            raise ValueError(f"fault {name} registered twice")
        FAULTS[name] = FaultSpec(name, alert, cause, help, fn, param, default)
        return fn
    return decorate


def resolve(name: str) -> FaultSpec:
    """A fault by name (NAME or NAME:ARG) or alias; KeyError if unknown."""
    base = name.split(":", 1)[0]
    spec = FAULTS.get(ALIASES.get(base, base))
    if spec is None or (":" in name and not spec.param):
        raise KeyError(name)
    return spec


def inject(cluster: Cluster, name: str, age: timedelta) -> None:
    """Apply a fault that started `age` before the collection time."""
    spec = resolve(name)
    since = cluster.at - age
    cluster.started[spec.name] = since
    if spec.param:
        spec.fn(cluster, since, name.split(":", 1)[1] if ":" in name else spec.default)
    else:
        spec.fn(cluster, since)


def noted(cluster: Cluster, fault_name: str, subject: Obj | str, detail: str, namespace: str = "",
          name: str = "") -> None:
    """Record what a fault did to which subject, under the alert and cause its @fault registers (said once)."""
    spec = FAULTS[fault_name]
    cluster.note(fault_name, spec.alert, spec.cause, subject, detail, namespace, name)
