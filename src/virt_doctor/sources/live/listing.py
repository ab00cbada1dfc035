"""One paginated LIST of a kind (cluster-wide or in one namespace): limit + continue, restarted on 410 Gone.

By default the LIST is answered from the API server's watch cache (`resourceVersion=0`), as client-go's
informers do: the objects as the server last saw them change, typically well under a second behind etcd, served
several times faster than a read from etcd (CRs especially: decoding them out of etcd dominates). Servers whose
cache pages answer page by page; older ones (up to 1.33) answer the whole kind at once. `consistent=True` reads
from etcd instead (quorum), page by page.
"""

from __future__ import annotations

import functools
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
              each: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
              consistent: bool = False, selector: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every object of the kind (in `namespace`, or everywhere), each with its kind and apiVersion set, and
    passed through `each` as it is read off the wire (so no answer is ever held whole, and duplicate strings
    are freed as they come; an object `each` turns into None is left out). `selector`: label/field selector
    parameters narrowing the list (focus.py)."""
    what = f"list {served.resource.plural}" + (f" in {namespace}" if namespace else "") + \
        "".join(f" ({value})" for value in (selector or {}).values())
    if metadata_only is None:
        metadata_only = served.resource.kind in METADATA_ONLY
    headers = {"Accept": METADATA_ACCEPT} if metadata_only else None
    typed = functools.partial(_typed, served.resource.kind, served.api_version, each)
    for attempt in range(RESTARTS + 1):
        items: list[dict[str, Any]] = []
        token = ""
        try:
            while True:
                params = {"limit": str(page), **(selector or {}), **({"continue": token} if token else
                                                 {} if consistent else {"resourceVersion": "0"})}
                page_items, metadata = client.list_items(served.path(namespace), params, what, headers, typed)
                items += page_items
                token = metadata.get("continue") or ""
                if not token:
                    break
        except Gone:
            if attempt == RESTARTS or not token:
                raise
            continue  # the continue token expired while we paged: list again from the start
        return items
    return []  # not reached


def _typed(kind: str, api_version: str, each: Callable[[dict[str, Any]], dict[str, Any] | None] | None,
           item: dict[str, Any]) -> dict[str, Any] | None:
    """A listed item as a whole object (lists leave out each item's kind and apiVersion), then `each`."""
    item["kind"] = kind
    item["apiVersion"] = api_version
    return each(item) if each is not None else item
