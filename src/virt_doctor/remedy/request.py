"""An action as the HTTP request that carries it out: method, path, query, content type and body, with the
resourceVersion it was planned on as a precondition (a stale plan gets 409, never applied)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from virt_doctor.report.actions import Action
from virt_doctor.sources.resources import RESOURCES

PATCH_TYPES = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
               "strategic": "application/strategic-merge-patch+json"}
FIELD_MANAGER = "virt-doctor"
_BY_KIND = {r.kind: r for r in RESOURCES}


@dataclass(frozen=True)
class ApiRequest:
    """One request to the API server, as sent and as audited."""

    method: str
    path: str
    params: dict[str, str]
    content_type: str
    body: Any

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "query": self.params, "body": self.body}


def collection_path(action: Action) -> str:
    """Where objects of the action's kind live (in its namespace)."""
    res = _BY_KIND[action.kind]
    base = f"/apis/{res.group}/{res.version}" if res.group else f"/api/{res.version}"
    where = f"/namespaces/{action.namespace}" if res.namespaced else ""
    return f"{base}{where}/{res.plural}"


def object_path(action: Action) -> str:
    return f"{collection_path(action)}/{action.name}"


def request_of(action: Action, dry_run: bool) -> ApiRequest:
    """The request for the action; `dry_run` asks the server to check and answer without storing (dryRun=All)."""
    params = {"fieldManager": FIELD_MANAGER, **({"dryRun": "All"} if dry_run else {})}
    version = action.resource_version
    if action.verb == "create":
        return ApiRequest("POST", collection_path(action), params, "application/json", action.body)
    if action.verb == "delete":
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if version:
            options["preconditions"] = {"resourceVersion": version}
        if action.grace_period is not None:
            options["gracePeriodSeconds"] = action.grace_period
        if dry_run:
            options["dryRun"] = ["All"]
        return ApiRequest("DELETE", object_path(action), params, "application/json", options)
    body = action.body
    if version:  # the update only succeeds on the object as planned on
        if action.patch_type == "json":
            body = [{"op": "test", "path": "/metadata/resourceVersion", "value": version}, *body]
        else:
            body = {**body, "metadata": {**(body.get("metadata") or {}), "resourceVersion": version}}
    return ApiRequest("PATCH", object_path(action), params, PATCH_TYPES[action.patch_type], body)
