"""Where the cluster is and who we are: kubeconfig (context, certificates, tokens, exec plugins) or in-cluster.

The official client's loader reads the kubeconfig, so every authentication `oc login` and the cloud providers
write works; the requests themselves go through httpx (client.py), answers parsed straight to dicts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from virt_doctor.errors import SourceError

IN_CLUSTER = "(in-cluster)"


@dataclass(frozen=True)
class Connection:
    """An API server and the credentials to use with it; the token is never printed."""

    server: str
    verify: str | bool = True  # a CA bundle path, True (system CAs) or False
    cert: tuple[str, str] | None = None  # client certificate and key files
    token: Callable[[], str | None] = field(default=lambda: None, repr=False)  # fresh at each call (exec plugins)
    context: str = ""
    user: str = ""

    def headers(self) -> dict[str, str]:
        value = self.token()
        return {"Authorization": value if value.lower().startswith("bearer ") else f"Bearer {value}"} if value else {}


def connect(kubeconfig: str | None = None, context: str | None = None) -> Connection:
    """The current context of the kubeconfig (KUBECONFIG, ~/.kube/config), another one, or the pod's account."""
    from kubernetes import config as kube_config
    from kubernetes.client import Configuration

    candidates = [p for p in (kubeconfig or os.environ.get("KUBECONFIG", "")).split(os.pathsep) if p]
    path = next((p for p in candidates if Path(p).exists()), candidates[0] if candidates else
                str(Path("~/.kube/config").expanduser()))
    cfg = Configuration()
    try:
        if kubeconfig is None and not Path(path).exists() and os.environ.get("KUBERNETES_SERVICE_HOST"):
            kube_config.load_incluster_config(client_configuration=cfg)
            name, user = IN_CLUSTER, "serviceaccount"
        else:
            if not Path(path).exists():
                raise SourceError(f"{path}: no kubeconfig (give --kubeconfig, set KUBECONFIG, or use --from DUMP)")
            contexts, current = kube_config.list_kube_config_contexts(config_file=path)
            chosen = next((c for c in contexts if c["name"] == context), None) if context else current
            if chosen is None:
                known = ", ".join(c["name"] for c in contexts) or "none"
                raise SourceError(f"{path}: no context {context!r} (contexts: {known})")
            kube_config.load_kube_config(config_file=path, context=chosen["name"], client_configuration=cfg,
                                         persist_config=False)
            name, user = chosen["name"], str((chosen.get("context") or {}).get("user") or "")
    except SourceError:
        raise
    except Exception as exc:  # the loader raises ConfigException, but also ValueError/KeyError on broken files
        raise SourceError(f"{path}: cannot use this kubeconfig ({type(exc).__name__}: {exc})".replace("\n", " ")) \
            from exc
    verify: str | bool = (cfg.ssl_ca_cert or True) if cfg.verify_ssl else False
    cert = (cfg.cert_file, cfg.key_file) if cfg.cert_file and cfg.key_file else None

    def token() -> str | None:
        return cfg.get_api_key_with_prefix("authorization") or cfg.get_api_key_with_prefix("BearerToken")

    return Connection(server=str(cfg.host).rstrip("/"), verify=verify, cert=cert, token=token, context=name, user=user)
