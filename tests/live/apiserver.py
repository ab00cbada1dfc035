"""A real kube-apiserver (../shared/kube) for the live tests: start, stop, admin HTTP, load simulated clusters."""

from __future__ import annotations

import json
import re
import shlex
import ssl
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.tiers import starting
from virt_doctor.sources.resources import BY_KIND

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KUBE = Path(__file__).resolve().parents[3] / "shared" / "kube"
ROOT = Path(__file__).resolve().parents[2]
DEBIAN_KUBECTL = ROOT / ".venv" / "debian" / "usr" / "bin" / "kubectl"
# kinds the real CRDs here lack: small permissive CRDs of our own
EXTRA_CRDS = (("config.openshift.io", "v1", "networks", "Network", "Cluster"),
              ("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", "Cluster"),
              ("route.openshift.io", "v1", "routes", "Route", "Namespaced"),
              ("operator.openshift.io", "v1", "kubedeschedulers", "KubeDescheduler", "Namespaced"),
              ("nmstate.io", "v1", "nmstates", "NMState", "Cluster"),
              ("monitoring.coreos.com", "v1", "prometheusrules", "PrometheusRule", "Namespaced"))
# what may refer to what by uid: created in this order, uids rewritten as they are assigned
ORDER = ("Namespace", "Node", "StorageClass", "CSIDriver", "VolumeSnapshotClass", "Network", "CDI",
         "NetworkAddonsConfig", "HostPathProvisioner", "StorageProfile", "KubeVirt", "HyperConverged", "SSP",
         "Deployment", "DaemonSet", "ReplicaSet", "DataImportCron", "VirtualMachine", "DataVolume",
         "VirtualMachineInstance", "PersistentVolumeClaim", "Pod", "VirtualMachineInstanceMigration", "Lease",
         "ConfigMap", "Secret", "Event", "KubeDescheduler", "NMState", "PrometheusRule")


@dataclass
class ApiServer:
    """A running kube-apiserver with an admin token."""

    url: str
    ca: str
    token: str
    kubeconfig: str
    dir: Path

    def http(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=ssl.create_default_context(cafile=self.ca), timeout=30,
                            headers={"Authorization": f"Bearer {token or self.token}"})


def start(workdir: Path, extra_tokens: str = "", extra_args: str = "") -> ApiServer:
    starting("kube-apiserver")
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(Path.home()), "KUBE_EXTRA_TOKENS": extra_tokens,
           "KUBE_APISERVER_ARGS": extra_args}
    out = subprocess.run([str(KUBE / "up"), str(workdir)], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"kube-apiserver did not start: {out.stderr[-2000:]}")
    values = dict(word.split("=", 1) for word in shlex.split(out.stdout.strip().splitlines()[-1]))
    return ApiServer(values["KUBE_API"], values["KUBE_CA"], values["KUBE_ADMIN_TOKEN"], values["KUBECONFIG"], workdir)


def stop(server: ApiServer) -> None:
    subprocess.run([str(KUBE / "down"), str(server.dir)], capture_output=True, check=False)


def install_crds(server: ApiServer) -> None:
    """The real KubeVirt-family CRDs from ../shared/kube/crds, and permissive ones for the other kinds we read."""
    docs = [yaml.safe_load(p.read_text()) for p in sorted((KUBE / "crds").glob("*.yaml"))]
    for group, version, plural, kind, scope in EXTRA_CRDS:
        docs.append({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                     "metadata": {"name": f"{plural}.{group}", "annotations": {
                         "api-approved.kubernetes.io": "https://github.com/kubernetes-csi/external-snapshotter"}},
                     "spec": {"group": group, "scope": scope,
                              "names": {"plural": plural, "kind": kind, "singular": kind.lower()},
                              "versions": [{"name": version, "served": True, "storage": True, "schema": {
                                  "openAPIV3Schema": {"type": "object",
                                                      "x-kubernetes-preserve-unknown-fields": True}}}]}})
    with server.http() as http:
        for doc in docs:
            response = http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=doc)
            if response.status_code not in (201, 409):
                raise RuntimeError(f"CRD {doc['metadata']['name']}: {response.status_code} {response.text[:300]}")
        deadline = time.monotonic() + 60
        for doc in docs:
            while True:
                got = http.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{doc['metadata']['name']}")
                conditions = got.json().get("status", {}).get("conditions", [])
                if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"CRD {doc['metadata']['name']} not established")
                time.sleep(0.1)


def collection(kind: str, namespace: str) -> str:
    """Where objects of the kind are created (in `namespace`), or listed everywhere (namespace "")."""
    if kind == "Namespace":
        return "/api/v1/namespaces"
    if kind == "Event":
        return f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    res = BY_KIND[kind]
    base = f"/apis/{res.group}/{res.version}" if res.group else f"/api/{res.version}"
    return f"{base}/namespaces/{namespace}/{res.plural}" if res.namespaced and namespace else f"{base}/{res.plural}"


def settle(server: ApiServer, kinds: tuple[str, ...] = ORDER, timeout: float = 30.0) -> None:
    """Wait until the API server's watch cache (what a scan reads by default) shows what etcd holds, kind by
    kind: the same objects at the same resourceVersions, deletions included."""
    def state(http: httpx.Client, path: str, params: dict[str, str]) -> set[tuple[str, str]]:
        response = http.get(path, params=params)
        while response.status_code == 429:  # a new CRD's watch cache is still initialising
            time.sleep(0.1)
            response = http.get(path, params=params)
        return {(i["metadata"]["uid"], i["metadata"]["resourceVersion"]) for i in response.json()["items"]}

    def one(kind: str) -> None:
        path = collection(kind, "")
        deadline = time.monotonic() + timeout
        with server.http() as http:
            while state(http, path, {"resourceVersion": "0"}) != state(http, path, {}):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{path}: the watch cache did not catch up with etcd in {timeout:.0f}s")
                time.sleep(0.05)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, kinds))


@dataclass
class Loaded:
    """What `load` made: the objects' paths (for `wipe`), and the simulated uid -> the server's uid."""

    paths: list[str]
    uids: dict[str, str]
    stamps: dict[str, set[str]] = field(default_factory=dict)  # a time the server stamped -> the simulated ones

    def simulated_times(self, moment: str | None) -> set[str | None]:
        """The simulated times a server-stamped creation or deletion time stands for (itself when none)."""
        return {moment, *(self.stamps.get(moment or "") or ())}

    def simulated(self, text: str) -> str:
        """`text` with the server's uids put back to the simulated ones (names made from uids: prime-<uid>)."""
        back = {new: old for old, new in self.uids.items()}
        return UUID.sub(lambda m: back.get(m.group(0), m.group(0)), text)

    def live(self, text: str) -> str:
        """`text` with the simulated uids put to the server's (a pod named from a uid has the server's name)."""
        return UUID.sub(lambda m: self.uids.get(m.group(0), m.group(0)), text)


def load(server: ApiServer, objects: list[dict[str, Any]], kubelet_port: int | None = None,
         workers: int = 8) -> Loaded:
    """Create the objects through the API (status included), as a cluster's controllers would have written
    them; deletions the objects record are requested."""
    namespaces = sorted({o["metadata"]["namespace"] for o in objects if o["metadata"].get("namespace")})
    with server.http() as http:
        existing = {n["metadata"]["name"] for n in http.get("/api/v1/namespaces").json()["items"]}
        for ns in namespaces:
            if ns not in existing:
                http.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    levels: dict[tuple[int, bool], list[dict[str, Any]]] = {}
    for obj in objects:  # references by uid point to earlier levels only
        levels.setdefault((ORDER.index(obj["kind"]), obj["metadata"]["name"].startswith("prime-")), []).append(obj)
    uids: dict[str, str] = {}
    stamps: dict[str, set[str]] = {}
    created: list[str] = []
    with server.http() as http, ThreadPoolExecutor(max_workers=workers) as pool:
        for level in sorted(levels):
            batch = levels[level]
            if _order_by_creation(batch):  # which is newest decides: the server stamps creation, a second apart
                made = []
                for obj in sorted(batch, key=lambda o: o["metadata"].get("creationTimestamp") or ""):
                    made.append(_create(http, obj, uids, kubelet_port))
                    time.sleep(1.05)
            else:
                made = list(pool.map(lambda o: _create(http, o, uids, kubelet_port), batch))
            for path, old_uid, new_uid, pairs in made:
                created.append(path)
                if old_uid:
                    uids[old_uid] = new_uid
                for server_time, simulated_time in pairs:
                    stamps.setdefault(server_time, set()).add(simulated_time)
    settle(server)
    return Loaded(created, uids, stamps)


def _order_by_creation(batch: list[dict[str, Any]]) -> bool:
    """Several storage classes marked default the same way: CDI picks the most recently created, so creation
    order must hold (one Kubernetes default beside one virt default: any order will do)."""
    for annotation in ("storageclass.kubevirt.io/is-default-virt-class", "storageclass.kubernetes.io/is-default-class"):
        marked = [o for o in batch if o["kind"] == "StorageClass"
                  and (o["metadata"].get("annotations") or {}).get(annotation) == "true"]
        if len(marked) > 1:
            return True
    return False


def _create(http: httpx.Client, original: dict[str, Any], uids: dict[str, str],
            kubelet_port: int | None) -> tuple[str, str | None, str, list[tuple[str, str]]]:
    obj = json.loads(UUID.sub(lambda m: uids.get(m.group(0), m.group(0)), json.dumps(original)))
    meta = obj["metadata"]
    old_uid = original["metadata"].get("uid")
    for key in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                "generation"):
        meta.pop(key, None)
    deleting = bool(original["metadata"].get("deletionTimestamp"))
    if deleting and not meta.get("finalizers"):
        meta["finalizers"] = ["virt-doctor.test/hold"]  # kept until we let go: nothing else would finish it
    if obj["kind"] == "Node":  # never a real address: logs are asked of 127.0.0.1 (a closed port without kubelet)
        # only the loopback address: the API server would resolve a Hostname address through DNS first
        obj["status"]["addresses"] = [{"type": "InternalIP", "address": "127.0.0.1"}]
        obj["status"]["daemonEndpoints"] = {"kubeletEndpoint": {"Port": kubelet_port or 1}}
    path = collection(obj["kind"], meta.get("namespace", ""))
    status = obj.get("status")
    response = http.post(path, json=obj, params={"fieldValidation": "Ignore"})
    if response.status_code != 201:
        raise RuntimeError(f"create {obj['kind']} {meta['name']}: {response.status_code} {response.text[:400]}")
    made = response.json()
    if obj["kind"] == "Node" and made["spec"].get("taints") != obj["spec"].get("taints"):
        # admission taints a new node not-ready; the node controller lifts that once it is Ready: we play it
        made["spec"]["taints"] = obj["spec"].get("taints") or []
        made = http.put(f"{path}/{meta['name']}", json=made).json()
    if status and obj["kind"] != "Event" and made.get("status") != status:
        for _ in range(5):  # a controller (where they run) may have touched it since: read it again
            made["status"] = status
            put = http.put(f"{path}/{meta['name']}/status", json=made)
            if put.status_code == 404:  # no status subresource: the status is part of the object
                put = http.put(f"{path}/{meta['name']}", json=made)
            if put.status_code != 409:
                break
            made = http.get(f"{path}/{meta['name']}").json()
        if put.status_code != 200:
            raise RuntimeError(f"status of {obj['kind']} {meta['name']}: {put.status_code} {put.text[:400]}")
    pairs = [(made["metadata"]["creationTimestamp"], original["metadata"]["creationTimestamp"])] \
        if original["metadata"].get("creationTimestamp") else []
    if deleting:
        deleted = http.delete(f"{path}/{meta['name']}").json()
        if deleted.get("metadata", {}).get("deletionTimestamp"):
            pairs.append((deleted["metadata"]["deletionTimestamp"], original["metadata"]["deletionTimestamp"]))
    return f"{path}/{meta['name']}", old_uid, made["metadata"]["uid"], pairs


def wipe(server: ApiServer, created: list[str], workers: int = 8) -> None:
    """Remove what `load` created (finalizers first, no grace): the next test starts from an empty cluster.

    A collection that holds only what `load` created goes in one DELETE of the collection (after the finalizers of
    those that have some are lifted); any other object one by one."""
    def items(collection: str) -> list[dict[str, Any]]:
        response = http.get(collection)
        return response.json().get("items", []) if response.status_code == 200 else []

    def let_go(path: str) -> None:
        http.patch(path, json={"metadata": {"finalizers": None}},
                   headers={"Content-Type": "application/merge-patch+json"})

    def remove(path: str) -> None:
        let_go(path)
        http.request("DELETE", path, json={"gracePeriodSeconds": 0})

    def clear(collection: str) -> None:
        ours = by_collection[collection]
        there = items(collection)
        if {f"{collection}/{i['metadata']['name']}" for i in there} <= ours:
            for item in there:
                if item["metadata"].get("finalizers"):
                    let_go(f"{collection}/{item['metadata']['name']}")
            http.request("DELETE", collection, json={"gracePeriodSeconds": 0})
        else:
            for path in ours:
                remove(path)

    def clear_surely(collection: str) -> None:
        """`clear`, again on a connection that failed (a loaded machine once broke a TLS handshake here, and what
        one wipe leaves makes every later load fail): each step is idempotent."""
        for attempt in range(3):
            try:
                clear(collection)
                return
            except httpx.TransportError:
                if attempt == 2:
                    raise
                time.sleep(0.5)

    by_collection: dict[str, set[str]] = {}
    for path in created:
        by_collection.setdefault(path.rsplit("/", 1)[0], set()).add(path)
    with server.http() as http, ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(clear_surely, sorted(by_collection)))
