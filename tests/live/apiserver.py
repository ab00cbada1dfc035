"""A real kube-apiserver (../shared/kube) for the live tests: start, stop, admin HTTP, load simulated clusters."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from virt_doctor.sources.resources import BY_KIND

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KUBE = Path(__file__).resolve().parents[3] / "shared" / "kube"
ROOT = Path(__file__).resolve().parents[2]
DEBIAN_KUBECTL = ROOT / ".venv" / "debian" / "usr" / "bin" / "kubectl"
# kinds the real CRDs here lack: small permissive CRDs of our own
EXTRA_CRDS = (("config.openshift.io", "v1", "networks", "Network", "Cluster"),
              ("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", "Cluster"))
# what may refer to what by uid: created in this order, uids rewritten as they are assigned
ORDER = ("Namespace", "Node", "StorageClass", "CSIDriver", "VolumeSnapshotClass", "Network", "CDI",
         "NetworkAddonsConfig", "HostPathProvisioner", "StorageProfile", "KubeVirt", "HyperConverged", "SSP",
         "Deployment", "DaemonSet", "ReplicaSet", "DataImportCron", "VirtualMachine", "DataVolume",
         "VirtualMachineInstance", "PersistentVolumeClaim", "Pod", "VirtualMachineInstanceMigration", "Lease",
         "ConfigMap", "Secret", "Event")


@dataclass
class ApiServer:
    """A running kube-apiserver with an admin token."""

    url: str
    ca: str
    token: str
    kubeconfig: str
    dir: Path

    def http(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.ca, timeout=30,
                            headers={"Authorization": f"Bearer {token or self.token}"})


def start(workdir: Path, extra_tokens: str = "", extra_args: str = "") -> ApiServer:
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
    if kind == "Namespace":
        return "/api/v1/namespaces"
    if kind == "Event":
        return f"/api/v1/namespaces/{namespace}/events"
    res = BY_KIND[kind]
    base = f"/apis/{res.group}/{res.version}" if res.group else f"/api/{res.version}"
    return f"{base}/namespaces/{namespace}/{res.plural}" if res.namespaced else f"{base}/{res.plural}"


def load(server: ApiServer, objects: list[dict[str, Any]], kubelet_port: int | None = None) -> dict[str, str]:
    """Create the objects through the API (status included), as a cluster's controllers would have written
    them; return the map of simulated uid -> server uid. Deletions requested in the objects are made."""
    namespaces = sorted({o["metadata"]["namespace"] for o in objects if o["metadata"].get("namespace")})
    todo = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}} for ns in namespaces] + \
        sorted(objects, key=lambda o: (ORDER.index(o["kind"]), o["metadata"]["name"].startswith("prime-")))
    uids: dict[str, str] = {}
    deleting: list[tuple[str, dict[str, Any]]] = []
    with server.http() as http:
        for original in todo:
            obj = json.loads(UUID.sub(lambda m: uids.get(m.group(0), m.group(0)), json.dumps(original)))
            meta = obj["metadata"]
            old_uid = meta.pop("uid", None)
            for key in ("resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                        "generation"):
                meta.pop(key, None)
            if original.get("metadata", {}).get("deletionTimestamp") and not meta.get("finalizers"):
                meta["finalizers"] = ["virt-doctor.test/hold"]
            if obj["kind"] == "Node" and kubelet_port:
                obj["status"]["addresses"] = [{"type": "InternalIP", "address": "127.0.0.1"},
                                              {"type": "Hostname", "address": meta["name"]}]
                obj["status"]["daemonEndpoints"] = {"kubeletEndpoint": {"Port": kubelet_port}}
            path = collection(obj["kind"], meta.get("namespace", ""))
            status = obj.get("status")
            response = http.post(path, json=obj, params={"fieldValidation": "Ignore"})
            if response.status_code != 201:
                raise RuntimeError(f"create {obj['kind']} {meta['name']}: {response.status_code} "
                                   f"{response.text[:400]}")
            created = response.json()
            if old_uid:
                uids[old_uid] = created["metadata"]["uid"]
            if status and obj["kind"] not in ("Event", "Namespace") and created.get("status") != status:
                created["status"] = status
                put = http.put(f"{path}/{meta['name']}/status", json=created)
                if put.status_code == 404:  # no status subresource: the status is part of the object
                    put = http.put(f"{path}/{meta['name']}", json=created)
                if put.status_code != 200:
                    raise RuntimeError(f"status of {obj['kind']} {meta['name']}: {put.status_code} {put.text[:400]}")
            if original.get("metadata", {}).get("deletionTimestamp"):
                deleting.append((f"{path}/{meta['name']}", obj))
        for path, _obj in deleting:
            http.delete(path)
    return uids
