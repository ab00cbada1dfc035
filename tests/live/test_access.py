"""Permissions, read-only behaviour and the RBAC a user must grant, on the real API server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.live.apiserver import ApiServer, Loaded
from tests.live.conftest import now_for_live
from tests.live.rbac import READER, grant, kubeconfig_for, reader_role_for
from virt_doctor.report.model import Report
from virt_doctor.scan import LiveOptions, ScanRequest, run_scan
from virt_doctor.simulator.cluster import Cluster
from virt_doctor.simulator.simulate import simulate
from virt_doctor.sources.resources import RESOURCES

Load = Callable[[Cluster], Loaded]


def scan_as(server: ApiServer, kubeconfig: str, cluster: Cluster, namespace: str | None = None) -> Report:
    return run_scan(ScanRequest(live=LiveOptions(kubeconfig), at=cluster.at, namespace=namespace)).report


@pytest.fixture(scope="module")
def faulty() -> Cluster:
    return simulate(nodes=3, vms=12, faults=["handler-crashloop", "vm-missing-secret", "component-crashloop:virt-api",
                                             "operator-lease-stale"], seed=11, at=now_for_live())


def test_the_reader_role_covers_every_kind_read() -> None:
    """deploy/base/rbac/reader.yaml grants get/list/watch on exactly the kinds of sources/resources.py."""
    role = next(yaml.safe_load_all(READER.read_text()))
    granted = {(group, res) for rule in role["rules"] for group in rule["apiGroups"] for res in rule["resources"]
               if "list" in rule["verbs"]}
    assert granted == {(r.group, r.plural) for r in RESOURCES}
    assert {"get"} == {v for rule in role["rules"] if "pods/log" in rule["resources"] for v in rule["verbs"]}
    assert all(set(rule["verbs"]) <= {"get", "list", "watch"} for rule in role["rules"])


def test_a_scan_under_the_reader_role_loses_no_coverage(kube: ApiServer, cluster_in: Load, faulty: Cluster,
                                                         tmp_path: Path) -> None:
    loaded = cluster_in(faulty)
    grant(kube, reader_role_for("reader"))
    admin = scan_as(kube, kube.kubeconfig, faulty)
    reader = scan_as(kube, kubeconfig_for(kube, "reader", tmp_path), faulty)
    assert reader.coverage == admin.coverage
    assert {(f.alert, f.subject.ref(), f.cause.id) for f in reader.findings} == \
        {(f.alert, f.subject.ref(), f.cause.id) for f in admin.findings}
    assert {f.cause.id for f in admin.findings} >= {"virt-handler-daemonset-unhealthy", "missing-secret-or-configmap",
                                                    "pod-crash-looping", "lease-held-by-missing-pod"}
    assert loaded.paths and not reader.warnings


def test_a_narrow_role_reports_exactly_what_it_could_not_read(kube: ApiServer, cluster_in: Load, faulty: Cluster,
                                                              tmp_path: Path) -> None:
    """Pods and Deployments in the install namespace only: the control-plane alerts are evaluated, the others say
    which permission is missing, and nothing fires for want of data."""
    cluster_in(faulty)
    grant(kube, [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "narrow", "namespace": "openshift-cnv"},
         "rules": [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "narrow", "namespace": "openshift-cnv"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "narrow"},
         "subjects": [{"kind": "User", "name": "narrow", "apiGroup": "rbac.authorization.k8s.io"}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "narrow-crs"},
         "rules": [{"apiGroups": ["kubevirt.io"], "resources": ["kubevirts"], "verbs": ["get", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "narrow-crs"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "narrow-crs"},
         "subjects": [{"kind": "User", "name": "narrow", "apiGroup": "rbac.authorization.k8s.io"}]}])
    admin = scan_as(kube, kube.kubeconfig, faulty)
    narrow = scan_as(kube, kubeconfig_for(kube, "narrow", tmp_path), faulty)
    coverage = {c.alert: c for c in narrow.coverage}
    # pods and Deployments were listed in openshift-cnv (after the cluster-wide list was refused): evaluated
    assert coverage["VirtAPIDown"].status == "evaluated" and coverage["NoReadyVirtController"].status == "evaluated"
    # nodes were refused: the reason names the verb, the resource and the user
    node_reason = coverage["LowKVMNodesCount"].reason
    assert coverage["LowKVMNodesCount"].status == "skipped" and "could not be listed (forbidden" in node_reason
    assert 'cannot list resource "nodes"' in node_reason and '"narrow"' in node_reason
    # nothing fires that the admin's scan does not see, and every firing finding keeps its cause or is unknown
    admin_found = {(f.alert, f.subject.ref()): f.cause.id for f in admin.findings}
    for finding in narrow.findings:
        assert (finding.alert, finding.subject.ref()) in admin_found, finding.alert
    assert any('cannot list resource "nodes"' in w for w in narrow.warnings)
    # no pods/log in the role: the logs a diagnosis asked for are named as not read, with the refusal
    assert any(" not read: the credentials may not read pod logs (" in w and 'cannot get resource "pods/log"' in w
               for w in narrow.warnings), narrow.warnings


def test_a_scan_sends_only_reads(kube: ApiServer, cluster_in: Load, faulty: Cluster, tmp_path: Path) -> None:
    """The API server's own audit log: every request of the scanning user is a get or a list."""
    cluster_in(faulty)
    grant(kube, reader_role_for("scanner"))
    scan_as(kube, kubeconfig_for(kube, "scanner", tmp_path), faulty)
    audit = kube.dir.parent / "audit.log"
    verbs = {event["verb"] for line in audit.read_text().splitlines() if line
             for event in [json.loads(line)] if event.get("user", {}).get("username") == "scanner"}
    assert verbs and verbs <= {"get", "list"}, verbs
