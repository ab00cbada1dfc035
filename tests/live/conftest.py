"""The live tests' real API server (../shared/kube), started once a session, and simulated clusters loaded into it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.live.apiserver import KUBE, ApiServer, Loaded, install_crds, load, start, stop, wipe
from tests.live.kubelet import KubeletLogs
from virt_doctor.simulator.cluster import Cluster

# bearer tokens for RBAC tests: token,user,uid (users are bound to roles by the tests)
TOKENS = {"reader": "reader-token-4f1c", "narrow": "narrow-token-9b2e", "nobody": "nobody-token-7d3a",
          "scanner": "scanner-token-2a8f", "fixer": "fixer-token-5c7e", "assistant": "assistant-token-3e9b",
          "mcpserve": "mcpserve-token-81ad"}
AUDIT_POLICY = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"


def now_for_live() -> datetime:
    """The simulated time for a cluster loaded now: an hour ahead, so deletions the server stamps now are old."""
    return (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    if not (KUBE / "up").exists():
        pytest.skip(f"no kube-apiserver here ({KUBE} is absent): the live tests need ../shared/kube")
    if shutil.which("etcd") is None:
        pytest.fail("etcd is not installed; scripts/setup.sh installs Debian's etcd-server")
    shm = Path("/dev/shm")  # etcd syncs every write: memory keeps loading clusters fast
    workdir = Path(tempfile.mkdtemp(prefix="virt-doctor-kube-", dir=shm)) if shm.is_dir() else \
        Path(tmp_path_factory.mktemp("kube"))
    (workdir / "audit-policy.yaml").write_text(AUDIT_POLICY)
    extra = "\n".join(f"{token},{user},{user}-uid" for user, token in TOKENS.items())
    server = start(workdir / "server", extra_tokens=extra,
                   extra_args=f"--audit-policy-file={workdir / 'audit-policy.yaml'} "
                              f"--audit-log-path={workdir / 'audit.log'}")
    try:
        install_crds(server)
        yield server
    finally:
        stop(server)
        if str(workdir).startswith(str(shm)):
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def kubelet(kube: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeletLogs]:
    logs = KubeletLogs(Path(tmp_path_factory.mktemp("kubelet")))
    yield logs
    logs.stop()


@pytest.fixture
def cluster_in(kube: ApiServer, kubelet: KubeletLogs) -> Iterator[object]:
    """Load a simulated cluster into the API server (its logs into the kubelet stand-in); wiped afterwards."""
    loaded: list[Loaded] = []

    def put(cluster: Cluster) -> Loaded:
        loaded.append(load(kube, list(cluster.objects()), kubelet_port=kubelet.port))
        # served under the pods' names on the server (an importer pod is named from its PVC's uid)
        kubelet.logs = {(ns, loaded[-1].live(pod), container): log for (ns, pod, container), log in cluster.logs.items()}
        return loaded[-1]

    yield put
    for each in loaded:
        wipe(kube, each.paths)
