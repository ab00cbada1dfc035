"""A healthy simulated cluster: nodes, KubeVirt and its components, storage, and VMs, consistent with each other."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import objects as o
from virt_doctor.simulator.vms import VMSet

Obj = dict[str, Any]

COMPONENTS = (("virt-operator", 2), ("virt-api", 2), ("virt-controller", 2))
OS_MIX = ("fedora", "rhel9", "centos-stream9", "rhel9", "fedora")
DEFAULT_AT = datetime.fromisoformat("2026-11-20T09:14:03+00:00")


@dataclass(frozen=True)
class Injected:
    """What a fault did and which alert and cause it should raise, for the person and the tests."""

    fault: str
    alert: str
    cause: str
    kind: str
    namespace: str
    name: str
    detail: str


@dataclass
class Cluster:
    """Every object of the simulated cluster, grouped so faults can find what they change."""

    at: datetime
    install_ns: str
    ids: o.Ids
    workers: list[Obj] = field(default_factory=list)
    masters: list[Obj] = field(default_factory=list)
    infra: list[Obj] = field(default_factory=list)
    handler_pods: dict[str, Obj] = field(default_factory=dict)
    component_pods: dict[str, list[Obj]] = field(default_factory=dict)
    vms: list[VMSet] = field(default_factory=list)
    extra: list[Obj] = field(default_factory=list)
    logs: dict[tuple[str, str, str], dict[str, list[str]]] = field(default_factory=dict)
    injected: list[Injected] = field(default_factory=list)
    vms_details: bool = True
    metric_faults: list[Callable[[Any], None]] = field(default_factory=list)  # applied to the metric history
    started: dict[str, datetime] = field(default_factory=dict)  # fault -> when it began

    @property
    def rng(self) -> random.Random:
        return self.ids.rng

    def objects(self) -> Iterator[Obj]:
        """Every object, infrastructure first."""
        yield from self.masters
        yield from self.workers
        yield from self.infra
        for pods in self.component_pods.values():
            yield from pods
        yield from self.handler_pods.values()
        for vmset in self.vms:
            yield vmset.vm
            for obj in (vmset.vmi, vmset.pod, vmset.dv, vmset.pvc):
                if obj is not None:
                    yield obj
        yield from self.extra

    def find(self, kind: str, name: str) -> Obj:
        """An infrastructure object by kind and name."""
        for obj in self.infra:
            if obj["kind"] == kind and obj["metadata"]["name"] == name:
                return obj
        raise KeyError(f"{kind}/{name}")

    def find_kind(self, kind: str) -> list[Obj]:
        """Every infrastructure object of a kind."""
        return [obj for obj in self.infra if obj["kind"] == kind]

    def node(self, name: str) -> Obj:
        return next(n for n in self.workers + self.masters if n["metadata"]["name"] == name)

    def vms_on(self, node: str) -> list[VMSet]:
        return [v for v in self.vms if v.node == node and v.vmi is not None]

    def worker_names(self) -> list[str]:
        return [w["metadata"]["name"] for w in self.workers]

    def add_deployment(self, namespace: str, name: str, replicas: int, image: str, created: datetime,
                       selector: dict[str, str] | None = None, container: str = "", first_node: int = 0) -> Obj:
        """A Deployment with its ReplicaSet and Running, Ready pods spread over workers, each with a log."""
        container = container or name
        dep = o.deployment(self.ids, namespace, name, replicas, created, image, selector, container)
        hash_ = self.ids.suffix(10)
        rs = o.replicaset(self.ids, dep, hash_, created)
        self.infra += [dep, rs]
        workers = self.worker_names()
        pods = []
        for replica in range(replicas):
            node = workers[(first_node + replica) % len(workers)]
            pod = o.running_pod(self.ids, f"{name}-{hash_}-{self.ids.suffix()}", namespace, node,
                                created + timedelta(minutes=2),
                                {**dep["spec"]["selector"]["matchLabels"], "pod-template-hash": hash_},
                                [{"name": container, "image": image,
                                  "resources": {"requests": {"cpu": "10m", "memory": "150Mi"}}}], owner=rs)
            pods.append(pod)
            self.log(pod, container, "current", component_log(name, self.at, [
                ("info", f"{name} started"), ("info", "Starting informers"), ("info", "reconcile succeeded")]))
        self.component_pods[name] = pods
        return dep

    def log(self, pod: Obj, container: str, which: str, lines: list[str]) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"], container)
        self.logs.setdefault(key, {})[which] = lines

    def note(self, fault: str, alert: str, cause: str, obj_or_kind: Obj | str, detail: str,
             namespace: str = "", name: str = "") -> None:
        if isinstance(obj_or_kind, dict):
            kind, namespace, name = (obj_or_kind["kind"], obj_or_kind["metadata"].get("namespace", ""),
                                     obj_or_kind["metadata"]["name"])
        else:
            kind = obj_or_kind
        self.injected.append(Injected(fault, alert, cause, kind, namespace, name, detail))


def component_log(component: str, at: datetime, lines: list[tuple[str, str]]) -> list[str]:
    """KubeVirt-style JSON log lines."""
    out = []
    for offset, (level, msg) in enumerate(lines):
        when = (at - timedelta(minutes=len(lines) - offset)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        out.append(f'{{"component":"{component}","level":"{level}","msg":"{msg}","pos":"{component}.go:{200 + offset}",'
                   f'"timestamp":"{when}"}}')
    return out


def stop(vmset: VMSet, when: datetime) -> None:
    """A VM the user stopped: runStrategy Halted, no VMI, no launcher pod."""
    vm = vmset.vm
    vm["spec"]["runStrategy"] = "Halted"
    vm["status"].update({"printableStatus": "Stopped", "ready": False, "runStrategy": "Halted"})
    vm["status"]["conditions"] = [{**o.condition("Ready", "False", when, "VMINotExists", "VMI does not exist"),
                                   "lastProbeTime": None}]
    vmset.vmi = vmset.pod = None
