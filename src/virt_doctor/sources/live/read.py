"""Read a cluster the way a scan needs it: every kind virt-doctor reads, one paginated LIST each, concurrently.

What was listed where, refused or failed is recorded (snapshot/seen.py), so a kind the credentials may not
list is "not seen", never "none exist". Nothing is written: the client only GETs.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from virt_doctor.errors import SourceError
from virt_doctor.snapshot.discover import INSTALL_WORKLOADS
from virt_doctor.snapshot.seen import EVERYWHERE, FAILED, FORBIDDEN, LISTED, Scope
from virt_doctor.snapshot.snapshot import RULE_RUNNING
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
    None, and each log a rule would read is noted (and passed to `asked`, which starts reading it while the
    rules go on), with the alert whose rule asked: only those alerts are judged again, with the logs."""

    def __init__(self, asked: Callable[[LogKey], None] = lambda _: None) -> None:
        self.wanted: set[tuple[str, str, str]] = set()
        self.alerts: set[str] = set()
        self._asked = asked

    def log(self, namespace: str, pod: str, container: str) -> None:
        key = (namespace, pod, container)
        if key not in self.wanted:
            self.wanted.add(key)
            self._asked(key)
        self.alerts.add(RULE_RUNNING.get())
        return None


def _workload_namespaces(raw: RawDump) -> set[str]:
    """The namespaces of the stack's own Deployments and DaemonSets (virt-operator, cdi-operator, ...)."""
    names = {"virt-operator", "virt-api", "virt-controller", "virt-handler"} | \
        {n for group in INSTALL_WORKLOADS.values() for n in group}
    return {str(o["metadata"].get("namespace") or "") for o in raw.objects
            if o.get("kind") in ("Deployment", "DaemonSet") and o["metadata"].get("name") in names} - {""}


LOG_DEADLINE = 5.0  # seconds one log read may wait for the API server (which waits on the node's kubelet)
LOG_BUDGET = 20.0  # seconds a scan spends on logs in all: past it, the logs not yet read are named, not read
LogKey = tuple[str, str, str]  # namespace, pod, container


@dataclass(frozen=True)
class LogLimits:
    """How long logs may hold a live scan up: each read, and all of them."""

    deadline: float = LOG_DEADLINE
    budget: float = LOG_BUDGET


def node_not_ready(node: dict[str, Any] | None) -> str:
    """Why a node's kubelet cannot be asked for logs ('' when it can, or when the node was not seen)."""
    if node is None:
        return ""
    ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
    if ready is None or ready.get("status") == "True":
        return ""
    return f"node {node['metadata']['name']} is not Ready (Ready={ready.get('status')}), its kubelet cannot serve logs"


def log_jobs(wanted: Iterable[LogKey], pods: dict[tuple[str, str], Any]) -> list[tuple[LogKey, bool]]:
    """The reads a set of wanted logs takes: the current log, and the previous one after a restart."""
    jobs = []
    for key in sorted(set(wanted)):
        pod = pods.get(key[:2])
        if pod is None:
            continue
        jobs.append((key, False))
        if any(int(cs.get("restartCount") or 0) > 0 for cs in (pod.get("status") or {}).get("containerStatuses") or []
               if not key[2] or cs.get("name") == key[2]):
            jobs.append((key, True))
    return jobs


Answer = tuple[LogKey, bool, bytes | None, str]  # a read: its log, previous or not, the body, why it was not read


class LogReads:
    """The logs a scan's rules ask for, read while the rules go on (`want` as each is asked, `finish` once they
    are done): the current log of each container, and the previous one after a restart, bounded.

    Logs never hold the scan up: a node that is not Ready is not asked; a read that fails for want of the
    kubelet (5xx, no answer within the deadline) is not retried, and no further log is asked of that node (each
    node's first read is made before its others, so a dead kubelet costs one deadline); past the scan's log
    budget nothing more is asked. Each log not read is kept with why (PodLog.unread)."""

    def __init__(self, client: KubeClient, pods: dict[tuple[str, str], Any], nodes: dict[str, Any] | None = None,
                 limits: LogLimits = LogLimits(), tail_lines: int = mustgather.LOG_TAIL_LINES,
                 limit_bytes: int = mustgather.LOG_TAIL_BYTES, workers: int = 4) -> None:
        self._client, self._pods, self._nodes = client, pods, nodes or {}
        self._limits, self._tail_lines, self._limit_bytes = limits, tail_lines, limit_bytes
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._lock = threading.Lock()
        self._down: dict[str, str] = {}  # node -> why its kubelet is not asked again (shared by the workers)
        self._ends = time.monotonic() + limits.budget
        self._first: dict[str, Future[Answer]] = {}  # each node's first read, made before any other of its
        self._waiting: dict[str, list[tuple[LogKey, bool]]] = {}  # the node's others, until its first is back
        self._reads: list[Future[Answer]] = []
        self._answers: list[Answer] = []  # reads not made: a node not Ready, or one whose kubelet did not answer

    def want(self, key: LogKey) -> None:
        """Start reading a container's log (and its previous one after a restart) as the rules ask for it."""
        for job in log_jobs([key], self._pods):
            node = self._node_of(key)
            why = node_not_ready(self._nodes.get(node))
            if why:
                self._answers.append((*job, None, why))
            elif node not in self._first:
                self._first[node] = self._pool.submit(self._one, *job)
            elif node in self._waiting or not self._first[node].done():
                self._waiting.setdefault(node, []).append(job)
            else:
                self._reads.append(self._pool.submit(self._one, *job))

    def finish(self) -> tuple[dict[LogKey, mustgather.PodLog], list[str]]:
        """Every log asked for, read or with why it was not; and the warnings that name the ones not read."""
        for node, jobs in sorted(self._waiting.items()):  # each node's others, once its first read is back
            self._first[node].result()
            self._reads += [self._pool.submit(self._one, *job) for job in jobs]
        self._waiting.clear()
        answers = self._answers + [f.result() for f in (*self._first.values(), *self._reads)]
        self.close()
        logs: dict[LogKey, mustgather.PodLog] = {}
        for key, previous, body, unread in sorted(answers, key=lambda answer: answer[:2]):
            log = logs.get(key) or _pod_log(key)
            if unread and not (log.current or log.previous):
                log.unread = log.unread or unread
                logs[key] = log
            if body is None:
                continue
            which = "previous" if previous else "current"
            setattr(log, which, mustgather.tail_lines(body, self._tail_lines))
            log.paths[which] = f"namespaces/{key[0]}/pods/{key[1]}/{key[2]}/{key[2]}/logs/{which}.log"
            log.unread = ""
            logs[key] = log
        return logs, _unread_warnings(logs)

    def close(self) -> None:
        """Stop: reads not started are dropped (a scan that failed or was interrupted waits for no log)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _node_of(self, key: LogKey) -> str:
        return str((self._pods[key[:2]].get("spec") or {}).get("nodeName") or "")

    def _skipped(self, node: str) -> str:
        with self._lock:
            if node in self._down:
                return self._down[node]
        if time.monotonic() > self._ends:
            return f"the scan's {self._limits.budget:g} s for logs were spent"
        return ""

    def _one(self, key: LogKey, previous: bool) -> Answer:
        """One read, in a worker thread: the body, or why there is none ('' when there is simply no such log)."""
        ns, pod, container = key
        node = self._node_of(key)
        why = self._skipped(node)
        if why:
            return key, previous, None, why
        params = {"tailLines": str(self._tail_lines), "limitBytes": str(self._limit_bytes),
                  **({"container": container} if container else {}), **({"previous": "true"} if previous else {})}
        try:
            return key, previous, self._client.get(
                f"/api/v1/namespaces/{ns}/pods/{pod}/log", params, retries=0, what=f"log of {ns}/{pod}/{container}",
                timeout=self._limits.deadline), ""
        except NotFound:
            return key, previous, None, ""  # no such log (a container that never ran)
        except Forbidden as exc:
            return key, previous, None, f"the credentials may not read pod logs ({exc})"
        except ApiError as exc:
            if exc.status == 400:  # no previous container
                return key, previous, None, ""
            detail = str(exc).removeprefix(f"log of {ns}/{pod}/{container}: ")
            with self._lock:  # the first failure names the node's reason; the reads after it are not made
                return key, previous, None, self._down.setdefault(
                    node, f"the kubelet on node {node} did not answer a log read ({detail})")


def _pod_log(key: LogKey) -> mustgather.PodLog:
    ns, pod, container = key
    return mustgather.PodLog(path=f"namespaces/{ns}/pods/{pod}/{container}/{container}/logs/current.log")


def _unread_warnings(logs: dict[LogKey, mustgather.PodLog]) -> list[str]:
    """One warning per reason a log went unread, with how many and the first few."""
    by_reason: dict[str, list[str]] = {}
    for (ns, pod, container), log in sorted(logs.items()):
        if log.unread:
            by_reason.setdefault(log.unread, []).append(f"{ns}/{pod}/{container}")
    return [f"{len(keys)} log{'s' if len(keys) != 1 else ''} not read: {why} — {', '.join(keys[:3])}"
            + (f" and {len(keys) - 3} more" if len(keys) > 3 else "") for why, keys in by_reason.items()]
