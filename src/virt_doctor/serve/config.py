"""The service as one frozen configuration, and the one place that assembles it: the store, the view of the
cluster (a dump read once, or the live cluster listed then watched), the remediator, leader election, and uvicorn.
`virt-doctor serve` only turns its flags into a ServeConfig."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from virt_doctor.errors import InputError, VirtDoctorError
from virt_doctor.scan import LiveOptions, ScanRequest, ScanResult, run_scan
from virt_doctor.serve.auth import WebhookAuth
from virt_doctor.serve.remediation import PolicyRule
from virt_doctor.serve.service import Service
from virt_doctor.sources.prometheus import PrometheusClient
from virt_doctor.store.paths import DEFAULT_DB

if TYPE_CHECKING:
    from virt_doctor.serve.leader import LeaseElector
    from virt_doctor.sources.live.client import KubeClient
    from virt_doctor.sources.live.connection import Connection
    from virt_doctor.sources.live.watch import WatchCache

SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


@dataclass(frozen=True)
class LeaderElection:
    """Several replicas: the Lease they campaign for, and its timing in seconds (client-go's names)."""

    namespace: str | None = None  # None: the pod's own (its service account's)
    name: str = "virt-doctor"
    duration: float = 15.0
    deadline: float = 10.0
    retry: float = 2.0


@dataclass(frozen=True)
class ServeConfig:
    """Everything the service is made of, decided before anything starts."""

    source: Path | None = None  # a dump, read once; None: the live cluster
    kubeconfig: str | None = None
    context: str | None = None
    interval: float = 60.0  # seconds; the live view is also evaluated on every change
    db: str | None = None  # None: DEFAULT_DB for the live cluster; a throw-away file for a dump
    retention: timedelta | None = timedelta(days=30)  # None: keep everything
    host: str = "127.0.0.1"
    port: int = 8080
    auth: WebhookAuth = WebhookAuth()  # what Alertmanager must send
    remediate: WebhookAuth = WebhookAuth()  # the token that may apply actions (none: applying is off)
    policy: tuple[PolicyRule, ...] = ()
    policy_name: str = ""
    notify_url: str | None = None
    external_url: str = ""
    prometheus: PrometheusClient | None = None
    max_body: int = 4 * 2**20
    log_level: str = "info"
    leader: LeaderElection | None = None
    mcp_token: str = field(default="", repr=False)  # what /mcp asks for; "": as open as the rest of the API

    def __post_init__(self) -> None:
        if self.source is not None and not self.source.exists():
            raise InputError(f"--from {self.source}: no such file or directory")
        if self.source is None and self.interval < 1:
            raise InputError(f"--interval {self.interval:g}s: give at least 1s")
        if self.source is not None and (self.remediate.token or self.policy):
            raise InputError("--remediate-token-file and --fix-policy act on the live cluster, not on --from")
        if self.source is not None and self.leader is not None:
            raise InputError("--leader-elect needs the live cluster (it is where the Lease is kept), not --from")


def build(config: ServeConfig) -> tuple[Service, str]:
    """The service the configuration describes, and one line saying what it serves from where."""
    from virt_doctor.serve.metrics import ServiceMetrics
    from virt_doctor.serve.notify import Notifier
    from virt_doctor.serve.remediation import Remediator
    from virt_doctor.serve.view import ClusterView
    from virt_doctor.sources.live.client import KubeClient
    from virt_doctor.sources.live.connection import connect
    from virt_doctor.sources.live.watch import WatchCache
    from virt_doctor.store.database import StoreError, open_engine, safe_url

    db, throwaway = store_of(config)
    try:
        engine = open_engine(db)
    except StoreError as exc:
        raise InputError(str(exc)) from None
    metrics = ServiceMetrics()
    changed = threading.Event()
    cache: WatchCache | None = None
    elector: LeaseElector | None = None
    api: KubeClient | None = None
    live: LiveOptions | None = None
    if config.source is None:  # the live cluster, kept by watches: the connection is checked now, the lists later
        conn = connect(config.kubeconfig, config.context)
        api = KubeClient(conn)
        if config.leader is not None:
            elector = _elector(conn, config.leader)
        cache = WatchCache(api, configmap_data=False, on_change=changed.set, on_restart=metrics.watch_restarts.inc)
        live = LiveOptions(client=api, cached=cache.raw)

    def evaluate() -> ScanResult:
        return run_scan(ScanRequest(source=config.source, live=live, prometheus=config.prometheus,
                                    at=None if config.source is not None else datetime.now(UTC)))

    remediator = Remediator(engine, client=api, rescan=evaluate if api is not None else None, auth=config.remediate,
                            policy=config.policy, policy_name=config.policy_name)
    service = Service(ClusterView(evaluate), engine, interval=config.interval if config.source is None else 0.0,
                      retention=config.retention, auth=config.auth, max_body=config.max_body,
                      notifier=Notifier(config.notify_url) if config.notify_url else None,
                      external_url=config.external_url, metrics=metrics, changed=changed if cache else None,
                      prepare=cache.start if cache else (lambda: None),
                      source_problems=cache.problems if cache else list, elector=elector, remediator=remediator,
                      mcp_token=config.mcp_token,
                      reads=f"the dump {config.source}" if config.source else "the live cluster, listed once then watched")
    said = (f"serving on http://{config.host}:{config.port}/ (store {safe_url(engine.url.render_as_string())}"
            + (" — throw-away, gone when it stops; --db keeps one" if throwaway else "") + ", "
            f"{'dump ' + str(config.source) if config.source else 'live cluster, watched'}"
            + (f"; campaigning for Lease {elector.namespace}/{elector.name} as {elector.identity}" if elector else "")
            + ")")
    return service, said


def store_of(config: ServeConfig) -> tuple[str, bool]:
    """The store to open, and whether it is a throw-away one: a dump served for a look keeps its incidents (and any
    test webhooks) out of the store a real cluster's service uses, unless --db names one."""
    if config.db is not None:
        return config.db, False
    if config.source is None:
        return str(DEFAULT_DB), False
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="virt-doctor-serve-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return str(Path(folder) / "incidents.db"), True


def run(service: Service, config: ServeConfig) -> None:
    """Serve until stopped."""
    import uvicorn  # the service's libraries load only when it runs: every other command starts faster

    from virt_doctor.serve.app import create_app

    log_to_stderr(config.log_level)
    uvicorn.run(create_app(service), host=config.host, port=config.port, log_level=config.log_level,
                access_log=False)


def log_to_stderr(level: str) -> None:
    """The service's own lines (a notification received, a store error, leadership) on stderr, at uvicorn's level."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    logger = logging.getLogger("virt_doctor")
    logger.handlers[:] = [handler]
    logger.setLevel({"trace": "DEBUG"}.get(level, level.upper()))
    logger.propagate = False


def _elector(conn: Connection, leader: LeaderElection) -> LeaseElector:
    """The Lease campaign, its namespace the flag's, POD_NAMESPACE, or the service account's."""
    from virt_doctor.serve.leader import LeaseElector
    from virt_doctor.sources.live.client import KubeClient

    namespace = leader.namespace
    if not namespace:
        try:
            namespace = Path(SERVICE_ACCOUNT_NAMESPACE).read_text().strip()
        except OSError:
            raise InputError("--leader-elect: give --leader-elect-resource-namespace (or POD_NAMESPACE): not in a "
                             "pod, so the Lease's namespace is not known") from None
    try:
        return LeaseElector(KubeClient(conn, timeout=max(1.0, leader.deadline / 2), connections=2),
                            namespace, leader.name, duration=leader.duration, deadline=leader.deadline,
                            retry=leader.retry)
    except VirtDoctorError as exc:
        raise InputError(str(exc)) from None
