"""The service's own metrics (prometheus-client), one registry per app so tests can read them."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class ServiceMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.evaluations = Counter("virt_doctor_evaluations", "Evaluations of the cluster, by outcome.",
                                   ["outcome"], registry=r)
        self.evaluation_seconds = Histogram("virt_doctor_evaluation_seconds", "Time to read and evaluate the "
                                            "cluster.", registry=r, buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120))
        self.findings = Gauge("virt_doctor_findings", "Findings of the newest evaluation, by alert and severity.",
                              ["alert", "severity"], registry=r)
        self.webhook_requests = Counter("virt_doctor_webhook_requests", "Alertmanager notifications received, by "
                                        "HTTP status answered.", ["code"], registry=r)
        self.webhook_seconds = Histogram("virt_doctor_webhook_seconds", "Time to diagnose, store and answer a "
                                         "notification.", registry=r,
                                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.refresh_errors = Counter("virt_doctor_source_errors", "Reads of the cluster that failed (the view "
                                      "keeps the previous evaluation).", registry=r)
        self.watch_restarts = Counter("virt_doctor_watch_restarts", "Watches started again (dropped, failed, or "
                                      "too old to resume: listed again).", registry=r)
        self.store_errors = Counter("virt_doctor_store_errors", "Store operations that failed.", registry=r)
        self.leader = Gauge("virt_doctor_leader", "1 when this replica turns evaluations into incidents (it holds "
                            "the Lease, or runs alone), else 0.", registry=r)
        self.leader.set(1)

    def set_findings(self, counts: dict[tuple[str, str], int]) -> None:
        self.findings.clear()
        for (alert, severity), n in counts.items():
            self.findings.labels(alert, severity).set(n)
