"""A control plane whose Kubernetes half is real: ../shared/kube's kube-apiserver with the real
kube-controller-manager and kube-scheduler (KUBE_CONTROLLERS=1), the node agent (agent.py) for kubelets, and the
simulator playing KubeVirt's part (kubevirt.py).

A simulated cluster is installed as a person's cluster would be: its nodes registered by the agent, its objects
created — but not what Kubernetes' controllers make and keep (ReplicaSets, the pods of Deployments and DaemonSets,
their status, the events about them): those the controllers, the scheduler and the agent produce."""

from __future__ import annotations

import shlex
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.control.agent import NodeAgent
from tests.live.apiserver import KUBE, ApiServer, Loaded, install_crds, load
from tests.tiers import starting
from virt_doctor.simulator.cluster import Cluster

# the node lifecycle controller's timings, shortened by its flags (never by sleeping in tests): a silent node is
# Unknown after 6 s, checked every second
CONTROLLER_ARGS = "--node-monitor-grace-period=6s --node-monitor-period=1s"
OWNED_BY_CONTROLLERS = frozenset({"ReplicaSet", "DaemonSet"})


def start_plane(workdir: Path) -> ApiServer:
    """The API server with its controllers and scheduler, on loopback."""
    starting("kube-apiserver, kube-controller-manager and kube-scheduler")
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(Path.home()), "KUBE_CONTROLLERS": "1",
           "KUBE_CONTROLLER_ARGS": CONTROLLER_ARGS}
    out = subprocess.run([str(KUBE / "up"), str(workdir)], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the control plane did not start: {out.stderr[-2000:]}")
    values = dict(word.split("=", 1) for word in shlex.split(out.stdout.strip().splitlines()[-1]))
    server = ApiServer(values["KUBE_API"], values["KUBE_CA"], values["KUBE_ADMIN_TOKEN"], values["KUBECONFIG"],
                       workdir)
    install_crds(server)
    with server.http() as http:
        http.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": "kube-node-lease"}})
    return server


def controlled(obj: dict[str, Any]) -> bool:
    """Whether Kubernetes' controllers make this object (a ReplicaSet, a Deployment's or DaemonSet's pod)."""
    if obj["kind"] == "ReplicaSet":
        return True
    owners = obj["metadata"].get("ownerReferences") or ()
    return obj["kind"] == "Pod" and any(o.get("kind") in OWNED_BY_CONTROLLERS for o in owners)


def as_written(cluster: Cluster) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The simulated cluster as a person writes it: (its nodes, every other object without what the controllers
    make, and without the status of what they keep)."""
    nodes, objects = [], []
    for obj in cluster.objects():
        if obj["kind"] == "Node":
            nodes.append(obj)
        elif obj["kind"] == "Event" or controlled(obj):
            continue
        elif obj["kind"] in ("Deployment", "DaemonSet"):
            objects.append({k: v for k, v in obj.items() if k != "status"})
        elif obj["kind"] == "PersistentVolumeClaim":  # its phase is the PV controller's to write, as it binds
            meta = {**obj["metadata"], "annotations": {k: v for k, v in (obj["metadata"].get("annotations") or {}).items()
                                                       if not k.startswith("pv.kubernetes.io/")}}
            objects.append({**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta,
                            "x-bound": obj.get("status", {}).get("phase") == "Bound",
                            "x-capacity": (obj.get("status") or {}).get("capacity")})
        else:
            objects.append(obj)
    return nodes, objects


def install(server: ApiServer, agent: NodeAgent, cluster: Cluster) -> Loaded:
    """The cluster's nodes registered by the agent, its objects created; the controllers do the rest."""
    nodes, objects = as_written(cluster)
    for node in nodes:
        status = node["status"]
        agent.register(node["metadata"]["name"], node["metadata"].get("labels") or {}, status["capacity"],
                       status["allocatable"], node["spec"].get("taints"))
    volumes = [volume_of(claim) for claim in objects if claim["kind"] == "PersistentVolumeClaim"
               and claim["spec"].get("volumeName") and claim.pop("x-bound")]
    for claim in objects:
        claim.pop("x-bound", None)
        claim.pop("x-capacity", None)
    with server.http() as http:
        # KubeVirt's part: the priority class virt-operator creates, which the components' pods ask for
        http.post("/apis/scheduling.k8s.io/v1/priorityclasses", json={
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "kubevirt-cluster-critical"},
            "value": 1000000000, "globalDefault": False, "description": "This priority class should be used for core "
                                                                        "kubevirt components only."})
        for volume in volumes:  # the provisioner's part: each bound claim's volume, bound to it by name
            made = http.post("/api/v1/persistentvolumes", json=volume)
            assert made.status_code == 201, made.text
    loaded = load(server, objects)
    loaded.paths += [f"/api/v1/nodes/{n['metadata']['name']}" for n in nodes]
    loaded.paths += [f"/api/v1/persistentvolumes/{v['metadata']['name']}" for v in volumes]
    return loaded


def volume_of(claim: dict[str, Any]) -> dict[str, Any]:
    """The PersistentVolume a CSI provisioner made for a claim (pre-bound to it: the PV controller binds both)."""
    spec = claim["spec"]
    provisioner = (claim["metadata"].get("annotations") or {}).get("volume.kubernetes.io/storage-provisioner",
                                                                    "csi.example.com")
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": spec["volumeName"], "annotations": {"pv.kubernetes.io/provisioned-by": provisioner}},
            "spec": {"capacity": {"storage": (claim.get("x-capacity") or spec["resources"]["requests"])["storage"]},
                     "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                     "volumeMode": spec.get("volumeMode") or "Filesystem",
                     "storageClassName": spec.get("storageClassName") or "",
                     "persistentVolumeReclaimPolicy": "Delete",
                     "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                  "namespace": claim["metadata"]["namespace"], "name": claim["metadata"]["name"]},
                     "csi": {"driver": provisioner, "volumeHandle": spec["volumeName"]}}}


def wait_for(what: str, condition: Any, seconds: float = 60.0) -> None:
    """Poll until `condition()` holds; fail naming `what` otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds:.0f}s")


def unready(server: ApiServer) -> list[str]:
    """The Deployments and DaemonSets whose controllers do not (yet) report every replica ready, and the claims the
    PV controller has not bound (yet)."""
    with server.http() as http:
        deployments = http.get("/apis/apps/v1/deployments").json()["items"]
        daemonsets = http.get("/apis/apps/v1/daemonsets").json()["items"]
        claims = http.get("/api/v1/persistentvolumeclaims").json()["items"]
    out = [f"PersistentVolumeClaim {c['metadata']['name']}" for c in claims
           if c["spec"].get("volumeName") and c.get("status", {}).get("phase") != "Bound"]
    for d in deployments:
        status = d.get("status") or {}
        want = d["spec"].get("replicas", 1)
        if status.get("observedGeneration") != d["metadata"]["generation"] or status.get("readyReplicas", 0) != want \
                or status.get("updatedReplicas", 0) != want or status.get("replicas", 0) != want:
            out.append(f"Deployment {d['metadata']['name']}")
    for d in daemonsets:
        status = d.get("status") or {}
        if status.get("observedGeneration") != d["metadata"]["generation"] or not status.get("desiredNumberScheduled") \
                or status.get("numberReady") != status.get("desiredNumberScheduled"):
            out.append(f"DaemonSet {d['metadata']['name']}")
    return out
