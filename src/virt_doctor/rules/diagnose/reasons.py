"""Past a container's waiting reason: what the kubelet's messages say about why (the image pull the registry
refuses, the secret that is missing, the probe that kills it)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# message words -> why an image cannot be pulled, most specific first
IMAGE_PULL_WHY: tuple[tuple[tuple[str, ...], str], ...] = (
    (("manifest unknown", "not found", "notfound", "does not exist", "name unknown"),
     "the registry has no such image or tag"),
    (("unauthorized", "authentication required", "denied", "forbidden", "401", "403"),
     "the registry refuses the pull: the pull secret is missing or wrong"),
    (("x509", "certificate"), "the node does not trust the registry's certificate"),
    (("toomanyrequests", "rate limit"), "the registry rate-limits pulls"),
    (("no such host", "i/o timeout", "connection refused", "dial tcp", "network is unreachable",
      "tls handshake timeout", "context deadline exceeded"),
     "the node cannot reach the registry (DNS, proxy or firewall)"),
)
MISSING_CONFIG = re.compile(r'(secret|configmap)s? "?([a-z0-9][a-z0-9.-]*)"? not found', re.IGNORECASE)
EXIT_CODES = {137: "killed (SIGKILL: out of memory or a failing liveness probe)", 139: "segmentation fault",
              143: "terminated (SIGTERM)", 1: "the program exited with an error"}


def image_pull_why(messages: Iterable[str]) -> str:
    """Why the image cannot be pulled, from the kubelet's messages ('' when they do not say)."""
    text = " ".join(messages).lower()
    for words, why in IMAGE_PULL_WHY:
        if any(word in text for word in words):
            return why
    return ""


def missing_config(message: str) -> tuple[str, str] | None:
    """('Secret'|'ConfigMap', name) a container cannot start without, from CreateContainerConfigError's message."""
    match = MISSING_CONFIG.search(message)
    if match is None:
        return None
    return ("Secret" if match.group(1).lower() == "secret" else "ConfigMap"), match.group(2)


def exit_meaning(code: object) -> str:
    """What a container's exit code usually means ('' for codes without a common meaning)."""
    return EXIT_CODES.get(code, "") if isinstance(code, int) else ""
