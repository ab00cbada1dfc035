"""RBAC for the live tests: a kubeconfig for a token user, roles granted through the API."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.live.apiserver import ROOT, ApiServer
from tests.live.conftest import TOKENS

READER = ROOT / "deploy" / "base" / "rbac" / "reader.yaml"


def kubeconfig_for(server: ApiServer, user: str, where: Path) -> str:
    """A kubeconfig for one of the test users, by its bearer token."""
    path = where / f"kubeconfig-{user}"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": user,
        "clusters": [{"name": "local", "cluster": {"server": server.url, "certificate-authority": server.ca}}],
        "users": [{"name": user, "user": {"token": TOKENS[user]}}],
        "contexts": [{"name": user, "context": {"cluster": "local", "user": user}}]}))
    return str(path)


def grant(server: ApiServer, docs: list[dict]) -> None:  # type: ignore[type-arg]
    with server.http() as http:
        for doc in docs:
            res = {"ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings", "Role": "roles",
                   "RoleBinding": "rolebindings"}[doc["kind"]]
            ns = doc["metadata"].get("namespace")
            path = f"/apis/rbac.authorization.k8s.io/v1{f'/namespaces/{ns}' if ns else ''}/{res}"
            response = http.post(path, json=doc)
            assert response.status_code in (201, 409), response.text


def reader_role_for(user: str) -> list[dict]:  # type: ignore[type-arg]
    role, binding = yaml.safe_load_all(READER.read_text())
    binding["metadata"]["name"] = f"virt-doctor-reader-{user}"
    binding["subjects"] = [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}]
    return [role, binding]
