"""One paginated LIST of a kind (cluster-wide or in one namespace): limit + continue, restarted on 410 Gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from virt_doctor.sources.live.client import Gone, KubeClient
from virt_doctor.sources.live.discovery import Served

PAGE = 500
RESTARTS = 2
# Secrets and ConfigMaps are listed as metadata only: their payloads are never read
METADATA_ONLY = frozenset({"Secret", "ConfigMap"})
METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


def list_kind(client: KubeClient, served: Served, namespace: str = "", page: int = PAGE,
              metadata_only: bool | None = None,
              each: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None) -> list[dict[str, Any]]:
    """Every object of the kind (in `namespace`, or everywhere), each with its kind and apiVersion set, and
    passed through `each` page by page (so a page's duplicate strings are freed before the next arrives; an
    object `each` turns into None is left out)."""
    what = f"list {served.resource.plural}" + (f" in {namespace}" if namespace else "")
    if metadata_only is None:
        metadata_only = served.resource.kind in METADATA_ONLY
    headers = {"Accept": METADATA_ACCEPT} if metadata_only else None
    for attempt in range(RESTARTS + 1):
        items: list[dict[str, Any]] = []
        token = ""
        try:
            while True:
                params = {"limit": str(page), **({"continue": token} if token else {})}
                data = client.get_json(served.path(namespace), params, what=what, headers=headers)
                token = (data.get("metadata") or {}).get("continue") or ""
                for item in data.get("items") or []:
                    item["kind"] = served.resource.kind
                    item["apiVersion"] = served.api_version
                    kept = each(item) if each is not None else item
                    if kept is not None:
                        items.append(kept)
                if not token:
                    break
        except Gone:
            if attempt == RESTARTS or not token:
                raise
            continue  # the continue token expired while we paged: list again from the start
        return items
    return []  # not reached
