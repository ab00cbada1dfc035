"""KubeVirtDeprecatedAPIRequested: a deprecated KubeVirt API version was requested in the last 10 minutes."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Snapshot, Subject, rule
from virt_doctor.rules.diagnose.metrics import holding, metric_evidence

CONDITION = ('group by (group, version, resource, subresource) (apiserver_requested_deprecated_apis{group="kubevirt.io"}) '
             '* on (group, version, resource, subresource) group_right() sum by (group, version, resource, '
             'subresource) (increase(apiserver_request_total{group="kubevirt.io",verb!~"LIST|WATCH|DELETE"}[10m])) > 0')


@rule("KubeVirtDeprecatedAPIRequested", causes=("old-client", "unknown"), queries={"condition": CONDITION})
def kube_virt_deprecated_api_requested(snap: Snapshot) -> Iterator[Detection]:
    """Requests (other than LIST, WATCH, DELETE) to a deprecated kubevirt.io version."""
    for series, since in holding(snap, "KubeVirtDeprecatedAPIRequested"):
        labels = series.labels
        api = f"{labels.get('resource', '?')}.{labels.get('group', 'kubevirt.io')}/{labels.get('version', '?')}"
        yield Detection(Subject("APIResource", "", api), "old-client",
                        f"{series.last:.0f} requests to the deprecated API {api} in the last 10 minutes", since=since,
                        evidence=(metric_evidence("requests to a deprecated version (10m)", series, value=f"{series.last:.0f}"),),
                        labels={"resource": labels.get("resource", ""), "version": labels.get("version", "")})
