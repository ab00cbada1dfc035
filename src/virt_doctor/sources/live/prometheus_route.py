"""`--prometheus auto` on OpenShift: the thanos-querier route of openshift-monitoring, with the kubeconfig's token."""

from __future__ import annotations

from virt_doctor.errors import SourceError
from virt_doctor.sources.live.client import ApiError, KubeClient, NotFound

ROUTE = "/apis/route.openshift.io/v1/namespaces/openshift-monitoring/routes/thanos-querier"


def thanos_querier(client: KubeClient) -> tuple[str, str | None]:
    """The querier's URL (https://<route host>) and the bearer token to send it, from the cluster itself."""
    try:
        route = client.get_json(ROUTE, what="the thanos-querier route")
    except NotFound as exc:
        raise SourceError(f"{client.conn.server}: --prometheus auto: no route thanos-querier in "
                          "openshift-monitoring (is this OpenShift?); give --prometheus URL") from exc
    except ApiError as exc:
        raise SourceError(f"{client.conn.server}: --prometheus auto: cannot read the thanos-querier route "
                          f"({exc})") from exc
    host = (route.get("spec") or {}).get("host")
    if not host:
        raise SourceError(f"{client.conn.server}: --prometheus auto: the thanos-querier route has no spec.host")
    path = str((route.get("spec") or {}).get("path") or "").rstrip("/")
    token = client.conn.headers().get("Authorization", "").removeprefix("Bearer ") or None
    return f"https://{host}{path}", token
