"""Read a cluster the way a scan needs it: every kind virt-doctor reads, one paginated LIST each, concurrently.

What was listed where, refused or failed is recorded (snapshot/seen.py), so a kind the credentials may not
list is "not seen", never "none exist". Nothing is written: the client only GETs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from virt_doctor.errors import SourceError
from virt_doctor.snapshot.discover import INSTALL_WORKLOADS
from virt_doctor.snapshot.seen import EVERYWHERE, FAILED, FORBIDDEN, LISTED, Scope
from virt_doctor.sources import mustgather
from virt_doctor.sources.dump import RawDump
from virt_doctor.sources.live.client import ApiError, Forbidden, KubeClient, NotFound
from virt_doctor.sources.live.discovery import Discovery, Served, discover
from virt_doctor.sources.live.focus import Focus
from virt_doctor.sources.live.listing import METADATA_ONLY, PAGE, list_kind
from virt_doctor.sources.normalize import malformed, normalize
from virt_doctor.sources.resources import Resource

# namespaced kinds that say where the stack is installed: listed first, cluster-wide
OPERATOR_CRS = frozenset({"KubeVirt", "HyperConverged", "SSP"})
# listed only in the install namespaces (kube-node-lease alone holds one Lease per node)
INSTALL_ONLY = frozenset({"Lease"})
Progress = Callable[[int, int, str], None]
Job = tuple[Served, str, dict[str, str] | None]  # a kind, the namespace to list it in ('' everywhere), a selector
# what finding the install namespaces takes (snapshot/discover.py): read whatever else a diagnosis is limited to
DISCOVERY_KINDS = frozenset({"KubeVirt", "HyperConverged", "SSP", "Deployment", "DaemonSet"})
# events.k8s.io/v1: the same events as core v1, listed only when core v1 is refused (normalize.py reshapes them)
EVENTS_V1 = Served(Resource("events.k8s.io", "v1", "events", "Event", True), "v1")


def read_cluster(client: KubeClient, namespace: str = "", progress: Progress | None = None,
                 workers: int = 4, configmap_data: bool = False, kinds: frozenset[str] | None = None,
                 page: int = PAGE, consistent: bool = False, focus: Focus | None = None) -> RawDump:
    """Every kind virt-doctor reads, or only `kinds` (namespaced kinds in `namespace` and the install namespaces
    when given; narrowed to one alert instance by `focus`, focus.py); from the watch cache unless `consistent`
    (listing.py)."""
    focus = focus or Focus()
    namespace = focus.namespace or namespace
    raw = RawDump(location=client.conn.server + (f" (context {client.conn.context})" if client.conn.context else ""))
    try:
        found = discover(client)
    except ApiError as exc:  # no discovery, no scan: say why in one line
        raise SourceError(f"{client.conn.server}: cannot read the API's discovery ({exc})") from exc
    if kinds is not None:
        found = Discovery({k: v for k, v in found.served.items() if k in kinds | DISCOVERY_KINDS},
                          found.not_installed, found.failed)
    for kind in found.not_installed:  # no such API here: no object of it can exist
        raw.scopes[Scope(kind, EVERYWHERE)] = LISTED
    for kind, why in found.failed.items():
        _record(raw, Scope(kind, EVERYWHERE), FAILED, why)
    lister = functools.partial(list_kind, page=page, each=functools.partial(_normalized, raw), consistent=consistent)
    first = [s for s in found.served.values() if not s.resource.namespaced or s.resource.kind in OPERATOR_CRS]
    _list_all(client, raw, [(s, "", focus.selector(s.resource.kind)) for s in first], progress, workers,
              lister=lister)
    homes = _install_namespaces(client, raw, found, namespace)
    second: list[Job] = []
    for served in found.served.values():
        kind = served.resource.kind
        if not served.resource.namespaced or kind in OPERATOR_CRS | INSTALL_ONLY:
            continue
        if namespace and kind not in focus.everywhere:
            second += [(served, ns, None) for ns in sorted({namespace, *homes})]
            if (beside := focus.beside(kind)) is not None:
                second.append((served, "", beside))
        elif (selector := focus.selector(kind)) is not None:  # the instance's node; the install namespaces whole
            second += [(served, "", selector), *((served, ns, None) for ns in sorted(homes))]
        else:
            second.append((served, "", None))
    full = frozenset({"ConfigMap"}) if configmap_data else frozenset()
    refused = _list_all(client, raw, second, progress, workers, done=len(first), full=full, lister=lister)
    homes |= _workload_namespaces(raw)  # the operators' Deployments, now listed, say where the rest runs
    # a kind refused cluster-wide may still be allowed where the stack is installed (a namespaced Role)
    retry: list[Job] = [(served, ns, None) for served, where, _ in refused if not where for ns in sorted(homes)]
    third: list[Job] = [(served, ns, None) for served in found.served.values()
                        if served.resource.kind in INSTALL_ONLY for ns in sorted(homes)]
    _list_all(client, raw, retry + third, None, workers, full=full, lister=lister)
    refused_events = [s.namespace for s, state in raw.scopes.items() if s.kind == "Event" and state != LISTED]
    if refused_events:  # core events refused: the same events through events.k8s.io
        _list_all(client, raw, [(EVENTS_V1, ns, None) for ns in refused_events], None, workers, lister=lister)
    return raw


def _list_all(client: KubeClient, raw: RawDump, jobs: list[Job], progress: Progress | None,
              workers: int, done: int = 0, full: frozenset[str] = frozenset(),
              lister: Callable[..., list[dict[str, Any]]] = list_kind) -> list[Job]:
    """Run the LISTs concurrently; record each outcome (a selector-narrowed list as selected, never as listed:
    snapshot/seen.py); return the ones refused."""
    refused: list[Job] = []
    total = done + len(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [(job, pool.submit(lister, client, job[0], job[1], selector=job[2],
                                     metadata_only=job[0].resource.kind in METADATA_ONLY - full)) for job in jobs]
        for (served, ns, selector), future in futures:
            scope = Scope(served.resource.kind, ns)
            try:
                items = future.result()
            except Forbidden as exc:
                _record(raw, scope, FORBIDDEN, f"list {_resource(served)}: {exc}")
                refused.append((served, ns, selector))
            except ApiError as exc:
                _record(raw, scope, FAILED, f"list {_resource(served)}: {exc}")
            else:
                if selector:
                    raw.selected.setdefault(served.resource.kind, []).extend(selector.values())
                else:
                    raw.scopes[scope] = LISTED
                    raw.reasons.pop(scope, None)
                raw.objects += items
            done += 1
            if progress is not None:
                progress(done, total, f"{served.resource.plural}" + (f" in {ns}" if ns else ""))
    return refused


def _normalized(raw: RawDump, item: dict[str, Any]) -> dict[str, Any] | None:
    """An object as every source keeps it (normalize.py), or None when it is not shaped like one."""
    return normalize(item, raw.strings) if malformed(item) is None else None


def _record(raw: RawDump, scope: Scope, state: str, reason: str) -> None:
    if raw.scopes.get(scope) != LISTED:
        raw.scopes[scope] = state
        raw.reasons[scope] = reason
        raw.warnings.append(reason)


def _resource(served: Served) -> str:
    res = served.resource
    return f"{res.plural}" + (f".{res.group}" if res.group else "")


def _install_namespaces(client: KubeClient, raw: RawDump, found: Discovery, namespace: str) -> set[str]:
    """Where the stack runs: the operator CRs' namespaces, and (for a restricted scan) the operators' own."""
    homes = {str((o.get("metadata") or {}).get("namespace") or "") for o in raw.objects
             if o.get("kind") in OPERATOR_CRS}
    deployments = found.served.get("Deployment")
    if namespace and deployments is not None:
        for names in INSTALL_WORKLOADS.values():
            for name in names:
                try:
                    data = client.get_json(deployments.path(), {"fieldSelector": f"metadata.name={name}"},
                                           what=f"find Deployment {name}")
                except ApiError:
                    continue
                homes |= {str(d["metadata"].get("namespace") or "") for d in data.get("items") or []}
    return {h for h in homes if h}


class LogsToRead:
    """The log source of a live scan's first pass (snapshot.LogSource): no log is read yet, so each answer is
    None, and each log a rule would read is noted to be fetched before the rules run again."""

    def __init__(self) -> None:
        self.wanted: set[tuple[str, str, str]] = set()

    def log(self, namespace: str, pod: str, container: str) -> None:
        self.wanted.add((namespace, pod, container))
        return None


def _workload_namespaces(raw: RawDump) -> set[str]:
    """The namespaces of the stack's own Deployments and DaemonSets (virt-operator, cdi-operator, ...)."""
    names = {"virt-operator", "virt-api", "virt-controller", "virt-handler"} | \
        {n for group in INSTALL_WORKLOADS.values() for n in group}
    return {str(o["metadata"].get("namespace") or "") for o in raw.objects
            if o.get("kind") in ("Deployment", "DaemonSet") and o["metadata"].get("name") in names} - {""}


def fetch_logs(client: KubeClient, wanted: Iterable[tuple[str, str, str]], pods: dict[tuple[str, str], Any],
               tail_lines: int = mustgather.LOG_TAIL_LINES, limit_bytes: int = mustgather.LOG_TAIL_BYTES,
               workers: int = 4) -> tuple[dict[tuple[str, str, str], mustgather.PodLog], list[str]]:
    """The current and (after a restart) previous log of each wanted container, bounded; and warnings."""
    logs: dict[tuple[str, str, str], mustgather.PodLog] = {}
    warnings: list[str] = []

    def one(key: tuple[str, str, str], previous: bool) -> tuple[tuple[str, str, str], bool, bytes | None, str]:
        ns, pod, container = key
        params = {"tailLines": str(tail_lines), "limitBytes": str(limit_bytes),
                  **({"container": container} if container else {}), **({"previous": "true"} if previous else {})}
        try:
            return key, previous, client.get(f"/api/v1/namespaces/{ns}/pods/{pod}/log", params,
                                             what=f"log of {ns}/{pod}/{container}", retries=1), ""
        except NotFound:
            return key, previous, None, ""
        except ApiError as exc:
            return key, previous, None, "" if exc.status == 400 else str(exc)  # 400: no previous container

    jobs = []
    for key in sorted(set(wanted)):
        pod = pods.get(key[:2])
        if pod is None:
            continue
        jobs.append((key, False))
        if any(int(cs.get("restartCount") or 0) > 0 for cs in (pod.get("status") or {}).get("containerStatuses") or []
               if not key[2] or cs.get("name") == key[2]):
            jobs.append((key, True))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for key, previous, body, problem in pool.map(lambda job: one(*job), jobs):
            if problem:
                warnings.append(problem)
            if body is None:
                continue
            ns, pod, container = key
            which = "previous" if previous else "current"
            log = logs.setdefault(key, mustgather.PodLog(path=f"namespaces/{ns}/pods/{pod}/{container}/{container}/logs/current.log"))
            setattr(log, which, mustgather.tail_lines(body, tail_lines))
            log.paths[which] = f"namespaces/{ns}/pods/{pod}/{container}/{container}/logs/{which}.log"
    return logs, warnings
