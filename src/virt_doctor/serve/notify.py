"""The optional outgoing message: a Slack-compatible incoming-webhook post per newly diagnosed incident."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from virt_doctor.store.schema import Incident

log = logging.getLogger("virt_doctor.serve")


def message(incident: Incident, external_url: str) -> dict[str, Any]:
    """alert, cause, top evidence, first command, link: what the person paged needs first."""
    finding = incident.diagnoses[-1].finding if incident.diagnoses and incident.diagnoses[-1].finding else {}
    evidence = (finding.get("evidence") or [{}])[0] if finding else {}
    first = ((finding.get("diagnosis") or []) + (finding.get("remediation") or [{}]))[0] if finding else {}
    lines = [f"*{incident.alertname}* ({incident.severity or 'no severity'}) {incident.subject}".rstrip(),
             f"Cause: {incident.cause_title or incident.note or 'not diagnosed'}"]
    if evidence:
        lines.append(f"Evidence: {evidence.get('object', '')} {evidence.get('note') or evidence.get('value') or ''}"
                     .rstrip())
    if first.get("command"):
        lines.append(f"First: `{first['command']}`")
    if external_url:
        lines.append(f"{external_url.rstrip('/')}/incidents/{incident.id}")
    return {"text": "\n".join(lines)}


class Notifier:
    """Posts messages in the background: a slow chat service never delays Alertmanager's answer."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.sent = 0
        self.failed = 0

    def send(self, incidents: Sequence[Incident], external_url: str) -> None:
        messages = [message(i, external_url) for i in incidents if i.diagnoses and
                    i.diagnoses[-1].verdict == "holds" and i.notifications == 1]
        if messages:
            threading.Thread(target=self._post, args=(messages,), daemon=True).start()

    def _post(self, messages: list[dict[str, Any]]) -> None:
        for body in messages:
            try:
                httpx.post(self.url, json=body, timeout=self.timeout).raise_for_status()
                self.sent += 1
            except httpx.HTTPError as exc:
                self.failed += 1
                log.warning("notification to the chat webhook failed: %s", type(exc).__name__)
