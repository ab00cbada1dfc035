"""A node agent: what the kubelets of a real cluster do, for a control plane whose controllers and scheduler are
real (../shared/kube with KUBE_CONTROLLERS=1) and whose nodes are not.

For each node it registers (capacity, allocatable, labels and taints as given — KubeVirt's device plugins'
`devices.kubevirt.io/kvm`, `tun`, `vhost-net` included where the node has them), it renews the node's Lease in
`kube-node-lease` every second and posts the `Ready` heartbeat in the node's status when it changes (and every
minute), and it runs the pods the scheduler (or anyone)
binds to the node: their status written through `/status` as a kubelet writes it — `Running` and ready, or, for an
image a scenario calls bad, `ErrImagePull` then `ImagePullBackOff` with the kubelet's events, or for an image it
calls crashing, `CrashLoopBackOff` with restarts and the last exit; a pod being deleted is let go (the kubelet's
final delete). Logs are served by the loopback kubelet stand-in (tests/live/kubelet.py) every node points at.
`stop_heartbeat` makes a node go silent (its pods untouched from then on), as a node that lost power does.

It writes only what a kubelet writes: everything else — placing pods, marking a silent node `Unknown`, tainting it,
evicting — is left to the real controllers."""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.live.apiserver import ApiServer
from tests.live.kubelet import KubeletLogs

KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
MERGE = {"Content-Type": "application/merge-patch+json"}
STRATEGIC = {"Content-Type": "application/strategic-merge-patch+json"}
REPORT = 60.0  # seconds between unchanged node status reports (a kubelet's nodeStatusReportFrequency, shortened)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class PodRun:
    """What the agent has made of one pod: when it first ran it, the outcome's stage, the events it sent."""

    started: float
    stage: str = ""
    restarts: int = 0
    told: set[str] = field(default_factory=set)


class NodeAgent:
    """The kubelets of the nodes it registers. `bad_images`: images whose pull fails (as from a registry that has
    no such manifest); `crashing`: images whose container exits 1 on start."""

    def __init__(self, server: ApiServer, logs: KubeletLogs) -> None:
        self.server = server
        self.logs = logs
        self.http = server.http()
        self.alive: dict[str, bool] = {}
        self.bad_images: set[str] = set()
        self.crashing: set[str] = set()
        self.runs: dict[str, PodRun] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._returned: set[str] = set()
        self._reported: dict[str, float] = {}
        self.errors: list[str] = []

    # --- nodes ---------------------------------------------------------------------------------------------
    def register(self, name: str, labels: dict[str, str], capacity: dict[str, str], allocatable: dict[str, str],
                 taints: list[dict[str, Any]] | None = None) -> None:
        """Create the node as its kubelet does at start, Ready, with its Lease."""
        body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
                "spec": {"taints": taints or []}}
        made = self.http.post("/api/v1/nodes", json=body)
        assert made.status_code == 201, made.text
        stamp = now()
        status = {"capacity": capacity, "allocatable": allocatable,
                  # loopback only: the API server would look a Hostname address up in DNS before the InternalIP
                  "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                  "daemonEndpoints": {"kubeletEndpoint": {"Port": self.logs.port}},
                  "nodeInfo": {"kubeletVersion": "v1.32.13", "containerRuntimeVersion": "cri-o://1.32.4",
                               "architecture": "amd64", "operatingSystem": "linux", "osImage": "Red Hat Enterprise "
                               "Linux CoreOS 419.96", "kernelVersion": "5.14.0-570.el9_6.x86_64", "machineID": "",
                               "systemUUID": "", "bootID": "", "kubeProxyVersion": ""},
                  "conditions": [
                      {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                       "message": "kubelet has sufficient memory available"},
                      {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
                       "message": "kubelet has no disk pressure"},
                      {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID",
                       "message": "kubelet has sufficient PID available"},
                      {"type": "Ready", "status": "True", "reason": "KubeletReady",
                       "message": "kubelet is posting ready status"}]}
        for condition in status["conditions"]:
            condition.update(lastHeartbeatTime=stamp, lastTransitionTime=stamp)
        patched = self.http.patch(f"/api/v1/nodes/{name}/status", json={"status": status}, headers=STRATEGIC)
        assert patched.status_code == 200, patched.text
        self._lease(name)
        with self._lock:
            self.alive[name] = True

    def stop_heartbeat(self, name: str) -> None:
        """The node goes silent: no more Lease renewals, no status, its pods left as they are."""
        with self._lock:
            self.alive[name] = False

    def resume_heartbeat(self, name: str) -> None:
        """The node is back: heartbeats again, and its pods' status written afresh (the node controller marked them
        not ready while it was silent)."""
        with self._lock:
            self.alive[name] = True
            self._returned.add(name)

    def set_allocatable(self, name: str, resources: dict[str, str]) -> None:
        """What the node's device plugins advertise now (e.g. `devices.kubevirt.io/kvm: "0"`: /dev/kvm is gone)."""
        answer = self.http.patch(f"/api/v1/nodes/{name}/status", json={"status": {
            "capacity": resources, "allocatable": resources}}, headers=STRATEGIC)
        assert answer.status_code == 200, answer.text

    def _lease(self, name: str) -> None:
        body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": micro_now()}}
        made = self.http.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", json=body)
        if made.status_code == 409:
            self.http.patch(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}",
                            json={"spec": {"renewTime": micro_now()}}, headers=MERGE)

    def _heartbeat(self, name: str) -> None:
        """As a kubelet since node leases: the Lease renewed at every beat (what the node lifecycle controller reads);
        the node's status posted only when it changed — back from silence — or every REPORT seconds, so the Node
        object is not rewritten every second (a `fix` on it carries its resourceVersion as a precondition)."""
        self.http.patch(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}",
                        json={"spec": {"renewTime": micro_now()}}, headers=MERGE)
        node = self.http.get(f"/api/v1/nodes/{name}").json()
        conditions = node.get("status", {}).get("conditions", [])
        healthy = all(c.get("status") == ("True" if c["type"] == "Ready" else "False") for c in conditions)
        if healthy and time.monotonic() - self._reported.get(name, 0.0) < REPORT:
            return
        self._reported[name] = time.monotonic()
        stamp = now()
        for condition in conditions:
            was = condition.get("status")
            healthy = "True" if condition["type"] == "Ready" else "False"
            condition["lastHeartbeatTime"] = stamp
            if was != healthy:  # back from silence: the kubelet says so
                condition.update(status=healthy, lastTransitionTime=stamp)
                if condition["type"] == "Ready":
                    condition.update(reason="KubeletReady", message="kubelet is posting ready status")
        self.http.patch(f"/api/v1/nodes/{name}/status", json={"status": {"conditions": conditions}}, headers=STRATEGIC)

    # --- pods ----------------------------------------------------------------------------------------------
    def _pods(self) -> None:
        with self._lock:
            alive = {n for n, up in self.alive.items() if up}
            returned, self._returned = self._returned, set()
        items = self.http.get("/api/v1/pods").json().get("items", [])
        seen = set()
        for pod in items:
            node = pod["spec"].get("nodeName")
            if node not in alive:
                continue
            uid = pod["metadata"]["uid"]
            seen.add(uid)
            meta = pod["metadata"]
            path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
            if meta.get("deletionTimestamp"):  # containers stopped: the kubelet's final delete
                self.http.request("DELETE", path, json={"gracePeriodSeconds": 0, "preconditions": {"uid": uid}})
                continue
            run = self.runs.setdefault(uid, PodRun(time.monotonic()))
            if node in returned:
                run.stage = ""
            self._run(pod, run, node, path)
        for uid in list(self.runs):
            if uid not in seen and uid not in {p["metadata"]["uid"] for p in items}:
                del self.runs[uid]

    def _run(self, pod: dict[str, Any], run: PodRun, node: str, path: str) -> None:
        """The pod's status as its kubelet would write it now, written when it changed."""
        age = time.monotonic() - run.started
        containers = pod["spec"]["containers"]
        states = []
        stage = []
        for container in containers:
            image = container["image"]
            if image in self.bad_images:
                reason = "ErrImagePull" if age < 2 else "ImagePullBackOff"
                message = (f"reading manifest {image.rsplit(':', 1)[-1]} in {image.rsplit(':', 1)[0]}: manifest unknown"
                           if reason == "ErrImagePull" else f'Back-off pulling image "{image}"')
                if reason == "ErrImagePull":
                    message = f"rpc error: code = Unknown desc = {message}"
                states.append((container, {"waiting": {"reason": reason, "message": message}}, False, 0, {}))
                stage.append(reason)
                self._tell(pod, run, node, container, "pull-failed", "Warning", "Failed",
                           f'Failed to pull image "{image}": {message}')
                self._tell(pod, run, node, container, "pull-error", "Warning", "Failed", "Error: ErrImagePull")
                if reason == "ImagePullBackOff":
                    self._tell(pod, run, node, container, "pull-backoff", "Normal", "BackOff",
                               f'Back-off pulling image "{image}"')
            elif image in self.crashing:
                restarts = min(int(age // 2) + 1, 6)
                exited = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now(), "finishedAt": now(),
                                         "containerID": f"cri-o://{pod['metadata']['uid'][:8]}{restarts}"}}
                waiting = {"waiting": {"reason": "CrashLoopBackOff", "message": (
                    f"back-off {min(10 * 2 ** (restarts - 1), 300)}s restarting failed container={container['name']} "
                    f"pod={pod['metadata']['name']}_{pod['metadata']['namespace']}({pod['metadata']['uid']})")}}
                states.append((container, waiting, False, restarts, exited))
                stage.append(f"crash{restarts}")
                self.logs.logs[(pod["metadata"]["namespace"], pod["metadata"]["name"], container["name"])] = {
                    "current": [f"{container['name']}: fatal: cannot start"],
                    "previous": [f"{container['name']}: fatal: cannot start"]}
                self._tell(pod, run, node, container, "backoff", "Warning", "BackOff",
                           f"Back-off restarting failed container {container['name']} in pod "
                           f"{pod['metadata']['name']}_{pod['metadata']['namespace']}({pod['metadata']['uid']})")
            else:
                states.append((container, {"running": {"startedAt": now()}}, True, 0, {}))
                stage.append("running")
                self._tell(pod, run, node, container, "started", "Normal", "Started",
                           f"Started container {container['name']}")
        signature = ",".join(stage)
        if signature == run.stage:
            return
        run.stage = signature
        ready = all(ok for _, _, ok, _, _ in states)
        gates = {g["conditionType"] for g in pod["spec"].get("readinessGates") or ()}
        kept = [c for c in pod.get("status", {}).get("conditions") or () if c["type"] not in KUBELET_CONDITIONS]
        gates_ok = all(any(c["type"] == g and c["status"] == "True" for c in kept) for g in gates)
        stamp = now()
        unready = [c["name"] for c, _, ok, _, _ in states if not ok]
        running = any("running" in s or "terminated" in last for _, s, _, _, last in states)

        def condition(kind: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
            out = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None,
                   "lastTransitionTime": stamp}
            if not ok and reason:
                out.update(reason=reason, message=message)
            return out

        why = f"containers with unready status: [{' '.join(unready)}]"
        status = {
            "phase": "Running" if running or ready else "Pending",
            "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": f"10.128.{zlib.crc32(pod['metadata']['uid'].encode()) % 250}.{len(self.runs) % 250 + 2}",
            "startTime": pod.get("status", {}).get("startTime") or stamp,
            "qosClass": pod.get("status", {}).get("qosClass") or "BestEffort",
            "conditions": [condition("PodReadyToStartContainers", True), condition("Initialized", True),
                           condition("Ready", ready and gates_ok, "ContainersNotReady" if not ready else
                                     "ReadinessGatesNotReady", why if not ready else "corresponding condition of pod "
                                     "readiness gate is not True"),
                           condition("ContainersReady", ready, "ContainersNotReady", why),
                           condition("PodScheduled", True), *kept],
            "containerStatuses": [{"name": c["name"], "image": c["image"], "imageID": "" if not ok and "waiting" in s
                                   and s["waiting"]["reason"] != "CrashLoopBackOff" else f"{c['image']}@sha256:" + "1" * 64,
                                   "ready": ok, "started": ok, "restartCount": restarts, "state": s,
                                   "lastState": last, **({"containerID": f"cri-o://{pod['metadata']['uid'][:12]}"}
                                                         if ok or last else {})}
                                  for c, s, ok, restarts, last in states]}
        pod["status"] = status
        answer = self.http.put(f"{path}/status", json=pod)
        if answer.status_code == 409:
            run.stage = ""  # changed under us: again next tick
        elif answer.status_code != 200:
            self.errors.append(f"status of {path}: {answer.status_code} {answer.text[:200]}")

    def _tell(self, pod: dict[str, Any], run: PodRun, node: str, container: dict[str, Any], key: str, kind: str,
              reason: str, message: str) -> None:
        """An event as the kubelet records it, once per pod and kind."""
        key = f"{container['name']}/{key}"
        if key in run.told:
            return
        run.told.add(key)
        meta = pod["metadata"]
        stamp = now()
        self.http.post(f"/api/v1/namespaces/{meta['namespace']}/events", json={
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                               "uid": meta["uid"], "fieldPath": f"spec.containers{{{container['name']}}}"},
            "reason": reason, "message": message, "type": kind, "count": 1, "firstTimestamp": stamp,
            "lastTimestamp": stamp, "source": {"component": "kubelet", "host": node},
            "reportingComponent": "kubelet", "reportingInstance": node})

    # --- the loop ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="node-agent", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.http.close()

    def _loop(self) -> None:
        beat = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - beat >= 1.0:
                    beat = time.monotonic()
                    with self._lock:
                        alive = [n for n, up in self.alive.items() if up]
                    for name in alive:
                        self._heartbeat(name)
                self._pods()
            except httpx.HTTPError as exc:  # the API server restarting, a slow answer: next tick
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self._stop.wait(0.25)

    def settled(self) -> bool:
        """Every pod bound to a live node has been run to its current outcome."""
        with self._lock:
            alive = {n for n, up in self.alive.items() if up}
        items = self.http.get("/api/v1/pods").json().get("items", [])
        return all(p["metadata"]["uid"] in self.runs and self.runs[p["metadata"]["uid"]].stage
                   for p in items if p["spec"].get("nodeName") in alive and not p["metadata"].get("deletionTimestamp"))
