"""Put a simulated pod into the states real kubelets report: crash loop, image pull, pending, not ready."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator.objects import condition, ts

Obj = dict[str, Any]


def _set_ready(pod: Obj, status: str, since: datetime, reason: str = "", message: str = "") -> None:
    for cond in pod["status"]["conditions"]:
        if cond["type"] in ("Ready", "ContainersReady"):
            cond.update(status=status, lastTransitionTime=ts(since))
            if reason:
                cond["reason"] = reason
                cond["message"] = message


def crash_loop(pod: Obj, container: str, since: datetime, at: datetime, exit_code: int = 1,
               reason: str = "Error", restarts: int = 9) -> None:
    """CrashLoopBackOff with the last run's termination, as kubelet reports it."""
    _set_ready(pod, "False", since, "ContainersNotReady", f"containers with unready status: [{container}]")
    for cs in pod["status"]["containerStatuses"]:
        if cs["name"] == container:
            cs.update(ready=False, started=False, restartCount=restarts)
            cs["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message":
                                       f"back-off 5m0s restarting failed container={container} "
                                       f"pod={pod['metadata']['name']}_{pod['metadata']['namespace']}"
                                       f"({pod['metadata']['uid']})"}}
            cs["lastState"] = {"terminated": {"exitCode": exit_code, "reason": reason,
                                              "startedAt": ts(at - timedelta(minutes=3, seconds=10)),
                                              "finishedAt": ts(at - timedelta(minutes=3)),
                                              "containerID": cs.get("containerID", "")}}


def image_pull(pod: Obj, container: str, since: datetime, image: str, message: str = "",
               reason: str = "ImagePullBackOff", phase: str | None = None) -> None:
    """A container waiting on an image that cannot be pulled."""
    _set_ready(pod, "False", since, "ContainersNotReady", f"containers with unready status: [{container}]")
    if phase:
        pod["status"]["phase"] = phase
    for cs in pod["status"]["containerStatuses"]:
        if cs["name"] == container:
            cs.update(ready=False, started=False, image=image, imageID="")
            cs["state"] = {"waiting": {"reason": reason, "message": message or f'Back-off pulling image "{image}"'}}


def not_ready(pod: Obj, container: str, since: datetime) -> None:
    """Running, but the container is not ready."""
    _set_ready(pod, "False", since, "ContainersNotReady", f"containers with unready status: [{container}]")
    for cs in pod["status"]["containerStatuses"]:
        if cs["name"] == container:
            cs["ready"] = False


def container_creating(pod: Obj, since: datetime) -> None:
    """Bound to a node, containers not yet created (waiting on volumes)."""
    pod["status"]["phase"] = "Pending"
    _set_ready(pod, "False", since, "ContainersNotReady", "containers with unready status: [compute]")
    for cs in pod["status"]["containerStatuses"]:
        cs.update(ready=False, started=False, imageID="")
        cs.pop("containerID", None)
        cs["state"] = {"waiting": {"reason": "ContainerCreating"}}


def unschedulable(pod: Obj, since: datetime, message: str) -> None:
    """Pending with no node: the scheduler's verdict in PodScheduled."""
    pod["spec"].pop("nodeName", None)
    pod["status"] = {"phase": "Pending", "qosClass": "Burstable", "conditions": [
        condition("PodScheduled", "False", since, "Unschedulable", message, probe=True)]}
