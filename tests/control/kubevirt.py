"""KubeVirt's part, played by the tests where KubeVirt's own controllers do not run: the operators' leader election
(each leader Lease held and renewed by a running, ready pod of its Deployment, as client-go's elector does)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import httpx

from tests.control.agent import MERGE, micro_now
from tests.live.apiserver import ApiServer

LEASES = "/apis/coordination.k8s.io/v1/leases"


class KubeVirtPart:
    """Renews every leader Lease of the install namespace for a ready pod of the Deployment it is named after."""

    def __init__(self, server: ApiServer) -> None:
        self.http = server.http()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kubevirt-part", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.http.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                self.renew()
            self._stop.wait(2)

    def renew(self) -> None:
        for lease in self.http.get(LEASES).json().get("items", []):
            meta = lease["metadata"]
            if meta["namespace"] == "kube-node-lease":
                continue
            holder = self._ready_pod(meta["namespace"], meta["name"])
            if holder is not None:
                self.http.patch(f"/apis/coordination.k8s.io/v1/namespaces/{meta['namespace']}/leases/{meta['name']}",
                                json={"spec": {"holderIdentity": holder, "renewTime": micro_now()}}, headers=MERGE)

    def _ready_pod(self, namespace: str, deployment: str) -> str | None:
        found = self.http.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{deployment}")
        if found.status_code != 200:
            return None
        selector = ",".join(f"{k}={v}" for k, v in found.json()["spec"]["selector"].get("matchLabels", {}).items())
        pods: list[dict[str, Any]] = self.http.get(f"/api/v1/namespaces/{namespace}/pods",
                                                   params={"labelSelector": selector}).json().get("items", [])
        ready = sorted(p["metadata"]["name"] for p in pods if any(
            c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions") or ()))
        return ready[0] if ready else None
