"""deploy/ validated by the real API server: `kubectl apply --dry-run=server -k` of the base and both overlays
(schemas, RBAC objects, the Route CRD on OpenShift), and the Alertmanager receiver snippet by amtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.live.apiserver import DEBIAN_KUBECTL, ROOT, ApiServer

DEPLOY = ROOT / "deploy"


@pytest.mark.parametrize("where", ["", "overlays/openshift", "overlays/postgresql"])
def test_the_manifests_are_accepted_by_the_api_server(kube: ApiServer, where: str) -> None:
    with kube.http() as http:  # a server-side dry run creates nothing: the namespace must exist for the rest
        http.post("/api/v1/namespaces", json={"metadata": {"name": "virt-doctor"}})
    done = subprocess.run([str(DEBIAN_KUBECTL), "--kubeconfig", kube.kubeconfig, "apply", "--dry-run=server",
                           "-k", str(DEPLOY / where)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    made = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    expected = {"namespace/virt-doctor", "serviceaccount/virt-doctor", "service/virt-doctor",
                "deployment.apps/virt-doctor", "clusterrole.rbac.authorization.k8s.io/virt-doctor-reader",
                "clusterrolebinding.rbac.authorization.k8s.io/virt-doctor-reader",
                "role.rbac.authorization.k8s.io/virt-doctor-leader-election",
                "rolebinding.rbac.authorization.k8s.io/virt-doctor-leader-election"}
    if where != "overlays/postgresql":
        expected.add("persistentvolumeclaim/virt-doctor-data")
    if where == "overlays/openshift":
        expected.add("route.route.openshift.io/virt-doctor")
    assert made == expected, done.stdout


def test_the_postgresql_overlay_runs_two_replicas_that_elect_a_leader() -> None:
    built = subprocess.run([str(DEBIAN_KUBECTL), "kustomize", str(DEPLOY / "overlays" / "postgresql")],
                           capture_output=True, text=True, check=True).stdout
    deployment = next(d for d in yaml.safe_load_all(built) if d["kind"] == "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert deployment["spec"]["replicas"] == 2 and "--leader-elect" in container["args"]
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert "secretKeyRef" in env["VIRT_DOCTOR_DB"]["valueFrom"]


def test_the_deployment_runs_as_a_user_who_cannot_escalate() -> None:
    built = subprocess.run([str(DEBIAN_KUBECTL), "kustomize", str(DEPLOY)], capture_output=True, text=True,
                           check=True).stdout
    deployment = next(d for d in yaml.safe_load_all(built) if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"] and container["resources"]["limits"]


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool (Debian's prometheus-alertmanager) is not installed")
def test_the_alertmanager_snippet_is_a_valid_receiver(tmp_path: Path) -> None:
    snippet = yaml.safe_load((DEPLOY / "alertmanager" / "receiver.yaml").read_text())
    (tmp_path / "token").write_text("t")
    snippet["receivers"][0]["webhook_configs"][0]["http_config"]["authorization"]["credentials_file"] = \
        str(tmp_path / "token")
    config = {"route": {"receiver": "default", **snippet["route"]},
              "receivers": [{"name": "default"}, *snippet["receivers"]]}
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(config))
    done = subprocess.run(["amtool", "check-config", str(tmp_path / "alertmanager.yml")], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
