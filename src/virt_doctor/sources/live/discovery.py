"""API discovery: which of the kinds virt-doctor reads this cluster serves, at which version.

A KubeVirt-family CRD that is not installed (no HPP, no SSP, no HCO upstream) is no error: its kind is
simply not served, and no object of it can exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from virt_doctor.sources.live.client import ApiError, KubeClient, NotFound
from virt_doctor.sources.resources import RESOURCES, Resource


@dataclass(frozen=True)
class Served:
    """A resource as this server serves it."""

    resource: Resource
    version: str

    @property
    def api_version(self) -> str:
        return f"{self.resource.group}/{self.version}" if self.resource.group else self.version

    def path(self, namespace: str = "") -> str:
        base = f"/apis/{self.resource.group}/{self.version}" if self.resource.group else f"/api/{self.version}"
        where = f"/namespaces/{namespace}" if namespace and self.resource.namespaced else ""
        return f"{base}{where}/{self.resource.plural}"


@dataclass(frozen=True)
class Discovery:
    """What is served, what is not installed, and what discovery could not tell (with why)."""

    served: dict[str, Served]
    not_installed: frozenset[str]
    failed: dict[str, str]


def discover(client: KubeClient, resources: tuple[Resource, ...] = RESOURCES) -> Discovery:
    """Ask /apis once, then each group version we read once: a handful of requests, whatever the cluster size."""
    groups = client.get_json("/apis", what="API discovery (/apis)")
    versions = {g["name"]: [v["version"] for v in g.get("versions", [])] +
                [(g.get("preferredVersion") or {}).get("version", "")] for g in groups.get("groups", [])}
    served: dict[str, Served] = {}
    missing: set[str] = set()
    failed: dict[str, str] = {}
    listings: dict[tuple[str, str], dict[str, bool] | str] = {}
    for res in resources:
        if res.group and res.group not in versions:
            missing.add(res.kind)
            continue
        candidates = [res.version] if not res.group else \
            ([res.version] if res.version in versions[res.group] else []) + [v for v in versions[res.group] if v]
        for version in dict.fromkeys(candidates):
            key = (res.group, version)
            if key not in listings:
                listings[key] = _resources_of(client, res.group, version)
            found = listings[key]
            if isinstance(found, str):
                failed[res.kind] = found
                break
            if res.plural in found:
                served[res.kind] = Served(res._replace(namespaced=found[res.plural]), version)
                break
        else:
            missing.add(res.kind)
    return Discovery(served, frozenset(missing), failed)


def _resources_of(client: KubeClient, group: str, version: str) -> dict[str, bool] | str:
    """plural -> namespaced, for one group version; a string says why it could not be read."""
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    try:
        data = client.get_json(path, what=f"API discovery ({path})")
    except NotFound:
        return {}
    except ApiError as exc:
        return str(exc)
    return {r["name"]: bool(r.get("namespaced")) for r in data.get("resources", []) if "/" not in r["name"]}
