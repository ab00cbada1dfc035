"""Leader election through a coordination.k8s.io Lease, as Kubernetes' own controllers elect theirs.

Several replicas of `serve` share one PostgreSQL store: each keeps its own watched view and answers webhooks and
pages, but only the holder of the Lease turns evaluations into virt-doctor's own incidents (and purges). The
holder renews the Lease every `retry` seconds; a replica takes it over when it has seen the same record
unrenewed for `duration` seconds — measured on its own monotonic clock from when it observed that record, so
clock skew between nodes does not matter (client-go's rule). A holder that cannot renew within `deadline`
steps down before its Lease can expire, so two leaders never act at once. A replica shutting down cleanly
gives the Lease up at once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from virt_doctor.errors import VirtDoctorError
from virt_doctor.sources.live.client import ApiError, KubeClient, NotFound

log = logging.getLogger("virt_doctor.serve.leader")


def micro_time(moment: datetime) -> str:
    """A Lease's MicroTime: RFC 3339 with microseconds, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_identity() -> str:
    """This replica's name in the Lease: the pod's name (its hostname in Kubernetes) and a random suffix, so a
    restarted process is never mistaken for the one it replaces."""
    import socket

    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


@dataclass
class LeaseElector:
    """Campaign for one Lease in the background; `is_leader` says whether this replica holds it now."""

    client: KubeClient
    namespace: str
    name: str = "virt-doctor"
    identity: str = field(default_factory=default_identity)
    duration: float = 15.0  # seconds a Lease lasts unrenewed (leaseDurationSeconds)
    deadline: float = 10.0  # a holder that has not renewed for this long steps down
    retry: float = 2.0  # seconds between tries
    on_change: Callable[[bool], None] = lambda leading: None

    def __post_init__(self) -> None:
        if not 0 < self.retry < self.deadline < self.duration:
            raise VirtDoctorError(f"leader election: need retry ({self.retry:g}s) < renew deadline "
                                  f"({self.deadline:g}s) < lease duration ({self.duration:g}s)")
        self._leading = False
        self._renewed = 0.0  # monotonic time of the last successful acquire or renew
        self._observed: tuple[str, str] | None = None  # (holder, renewTime) as last seen
        self._observed_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error = ""  # the last failure to reach the Lease ('' when the last try worked)

    @property
    def path(self) -> str:
        return f"/apis/coordination.k8s.io/v1/namespaces/{self.namespace}/leases"

    def is_leader(self) -> bool:
        """Whether this replica holds the Lease now (and has renewed it within the deadline)."""
        return self._leading and time.monotonic() - self._renewed < self.deadline

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="virt-doctor-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop campaigning; a holder gives the Lease up, so another replica need not wait for it to expire."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.duration)
        if self._leading:
            self._set_leading(False)
            try:
                self._release()
            except ApiError as exc:
                log.warning("could not give up the Lease %s/%s: %s", self.namespace, self.name, exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                held, certain = self.try_acquire_or_renew(), True
                self.error = ""
            except ApiError as exc:  # the API server did not answer: hold on until the deadline, no longer
                held, certain = False, False
                self.error = str(exc)
                log.warning("Lease %s/%s: %s", self.namespace, self.name, exc)
            if held:
                self._renewed = time.monotonic()
            leading = held or (not certain and self.is_leader())
            if leading != self._leading:
                self._set_leading(leading)
            self._stop.wait(self.retry)

    def _set_leading(self, leading: bool) -> None:
        self._leading = leading
        log.info("%s the Lease %s/%s as %s", "holding" if leading else "not holding", self.namespace, self.name,
                 self.identity)
        self.on_change(leading)

    def try_acquire_or_renew(self) -> bool:
        """One round: create the Lease, renew it if ours, or take it over once it has gone unrenewed for
        `duration`; True when this replica holds it afterwards. A lost race (409) is simply not holding."""
        now = datetime.now(UTC)
        try:
            lease = orjson.loads(self.client.get(f"{self.path}/{self.name}", what=f"get Lease {self.name}",
                                                 retries=0))
        except NotFound:
            return self._write("POST", self.path, {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._spec(now, acquired=now, transitions=0)})
        spec: dict[str, Any] = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        record = (holder, str(spec.get("renewTime") or ""))
        if record != self._observed:
            self._observed, self._observed_at = record, time.monotonic()
        transitions = int(spec.get("leaseTransitions") or 0)
        if holder == self.identity:
            lease["spec"] = {**spec, **self._spec(now, acquired=None, transitions=transitions)}
        else:
            lasts = float(spec.get("leaseDurationSeconds") or self.duration)
            if holder and time.monotonic() - self._observed_at < lasts:
                return False  # held, and renewed within its duration as far as this replica has seen
            lease["spec"] = {**spec, **self._spec(now, acquired=now, transitions=transitions + 1)}
        return self._write("PUT", f"{self.path}/{self.name}", lease)

    def _spec(self, now: datetime, acquired: datetime | None, transitions: int) -> dict[str, Any]:
        spec: dict[str, Any] = {"holderIdentity": self.identity, "leaseDurationSeconds": max(1, round(self.duration)),
                                "renewTime": micro_time(now), "leaseTransitions": transitions}
        if acquired is not None:
            spec["acquireTime"] = micro_time(acquired)
        return spec

    def _write(self, method: str, path: str, lease: dict[str, Any]) -> bool:
        from virt_doctor.sources.live.client import Conflict

        try:
            self.client.send_json(method, path, lease, what=f"{method} Lease {self.name}")
        except Conflict:
            return False  # another replica wrote first: it holds the Lease this round
        return True

    def _release(self) -> None:
        """Give the Lease up: no holder, and a one-second duration (client-go's ReleaseOnCancel)."""
        lease = orjson.loads(self.client.get(f"{self.path}/{self.name}", what=f"get Lease {self.name}", retries=0))
        spec = lease.get("spec") or {}
        if spec.get("holderIdentity") != self.identity:
            return
        lease["spec"] = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1,
                         "renewTime": micro_time(datetime.now(UTC))}
        self.client.send_json("PUT", f"{self.path}/{self.name}", lease, what=f"release Lease {self.name}")
