"""The whole alerting path, for real, on 127.0.0.1: Debian's Prometheus evaluates the rules `virt-doctor rules`
exports over a simulated metric history and sends to Debian's Alertmanager, whose webhook receiver is
`virt-doctor serve`. Alerts fire, arrive grouped, are diagnosed with the right cause, repeats do not double
them, the chat hears once per problem (not once per alert), and they are closed when Alertmanager resolves them
(here: Prometheus stops, the alerts expire)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta  # noqa: F401
from pathlib import Path

import httpx
import pytest

from tests.prometheus.conftest import free_port, stop_process
from tests.serve.alerts import received
from tests.tiers import starting
from virt_doctor.simulator.simulate import simulate
from virt_doctor.simulator.writer import write_dump

VIRT_DOCTOR = Path(sys.executable).parent / "virt-doctor"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
# faults whose alerts fire at once (`for: 0`; the exported rules are kept as they are, so the test stays short)
EXPECTED = {("VirtApiRESTErrorsHigh", "api-server-overloaded"), ("KubeVirtDeprecatedAPIRequested", "old-client")}

pytestmark = [pytest.mark.slow, pytest.mark.real,
              pytest.mark.skipif(ALERTMANAGER is None or shutil.which("prometheus") is None,
                                 reason="Debian's prometheus and prometheus-alertmanager are not installed "
                                        "(scripts/setup.sh installs them)")]


def wait_ready(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"{url} did not come up: {log.read_text()[-2000:]}")


class Processes:
    def __init__(self) -> None:
        self.running: list[subprocess.Popen] = []  # type: ignore[type-arg]

    def start(self, args: list[str], log: Path) -> subprocess.Popen:  # type: ignore[type-arg]
        starting(Path(args[0]).name)
        process = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:  # type: ignore[type-arg]
        stop_process(process)


@pytest.fixture
def processes() -> Iterator[Processes]:
    started = Processes()
    yield started
    for process in reversed(started.running):
        if process.poll() is None:
            started.stop(process)


def incidents(url: str) -> list[dict]:  # type: ignore[type-arg]
    """The incidents Alertmanager notified (virt-doctor's own incident, when it tracked the instance already)."""
    return [i for i in httpx.get(f"{url}/api/v1/incidents", params={"state": "all"}).json()
            if i["notifications"] > 0]


def test_prometheus_to_alertmanager_to_virt_doctor(tmp_path: Path, processes: Processes, chat: str) -> None:
    at = datetime.now(UTC).replace(second=0, microsecond=0)  # the history ends now: Prometheus evaluates at now
    cluster = simulate(nodes=3, vms=8, seed=3, at=at, fault_age=timedelta(minutes=40),
                       faults=["rest-errors:virt-api", "deprecated-api"])
    dump = write_dump(cluster, tmp_path / "dump", metrics=True)
    # Prometheus records ALERTS itself: the simulated ones are left out of what it is given
    history = [line for line in (dump / "metrics.om").read_text().splitlines() if not line.startswith("ALERTS")]
    (tmp_path / "history.om").write_text("\n".join(history) + "\n")
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(tmp_path / "history.om"),
                    str(tmp_path / "tsdb")], check=True, capture_output=True)
    rules = subprocess.run([str(VIRT_DOCTOR), "rules", "--format", "prometheus"], check=True, capture_output=True,
                           text=True).stdout
    (tmp_path / "rules.yml").write_text(rules)

    token = "e2e-webhook-token"
    (tmp_path / "token").write_text(token)
    serve_port, am_port, prom_port = free_port(), free_port(), free_port()
    serve_url = f"http://127.0.0.1:{serve_port}"
    (tmp_path / "alertmanager.yml").write_text(f"""
route:
  receiver: virt-doctor
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 5s
receivers:
- name: virt-doctor
  webhook_configs:
  - url: {serve_url}/api/v1/alertmanager
    send_resolved: true
    http_config:
      authorization:
        credentials: {token}
""")
    (tmp_path / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1h
  evaluation_interval: 1s
rule_files: [{tmp_path / 'rules.yml'}]
alerting:
  alertmanagers:
  - static_configs:
    - targets: ['127.0.0.1:{am_port}']
""")
    prom_url = f"http://127.0.0.1:{prom_port}"
    serve = processes.start([str(VIRT_DOCTOR), "serve", "--from", str(dump), "--prometheus", prom_url,
                             "--db", str(tmp_path / "incidents.db"), "--port", str(serve_port),
                             "--webhook-token-file", str(tmp_path / "token"), "--notify-url", chat],
                            tmp_path / "serve.log")
    prometheus = processes.start(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                                  f"--storage.tsdb.path={tmp_path / 'tsdb'}", "--storage.tsdb.retention.time=100y",
                                  f"--web.listen-address=127.0.0.1:{prom_port}", "--rules.alert.resend-delay=1s",
                                  "--log.level=warn"], tmp_path / "prometheus.log")
    wait_ready(f"{prom_url}/-/ready", prometheus, tmp_path / "prometheus.log")
    # the service reads its view (with the metric alerts, from this Prometheus) before Alertmanager sends
    wait_ready(f"{serve_url}/readyz", serve, tmp_path / "serve.log")
    alertmanager = processes.start([str(ALERTMANAGER), f"--config.file={tmp_path / 'alertmanager.yml'}",
                                    f"--storage.path={tmp_path / 'am'}", f"--web.listen-address=127.0.0.1:{am_port}",
                                    "--cluster.listen-address=", "--log.level=warn"], tmp_path / "alertmanager.log")
    wait_ready(f"http://127.0.0.1:{am_port}/-/ready", alertmanager, tmp_path / "alertmanager.log")

    deadline = time.monotonic() + 150
    got: set[tuple[str, str]] = set()
    while time.monotonic() < deadline and not got >= EXPECTED:
        got = {(i["alertname"], i["cause"]["id"]) for i in incidents(serve_url) if i["state"] == "firing"}
        time.sleep(1)
    if not got >= EXPECTED:  # what each part saw, for whoever reads the failure
        (tmp_path / "diagnostics.txt").write_text("\n\n".join([
            str(got), httpx.get(f"{prom_url}/api/v1/alerts").text, httpx.get(f"http://127.0.0.1:{am_port}/api/v2/alerts").text,
            (tmp_path / "prometheus.log").read_text(), (tmp_path / "alertmanager.log").read_text(),
            (tmp_path / "serve.log").read_text()]))
    assert got >= EXPECTED, f"see {tmp_path / 'diagnostics.txt'}"
    time.sleep(8)  # repeats (group_interval 2s, repeat_interval 5s) arrive: they update, never double
    firing = incidents(serve_url)
    keys = [i["key"] for i in firing]
    assert len(keys) == len(set(keys))
    assert {i["alertname"] for i in firing} <= {a for a, _ in EXPECTED} | {"VirtApiRESTErrorsBurst"}
    assert max(i["notifications"] for i in firing) >= 2
    for incident in firing:  # each diagnosed with the finding the scan gives, and its evidence
        detail = httpx.get(f"{serve_url}/api/v1/incidents/{incident['id']}").json()
        assert detail["diagnoses"][0]["verdict"] == "holds" and detail["diagnoses"][0]["finding"]["evidence"]
    # one chat message per problem Alertmanager delivered alerts of — virt-api's REST errors (High and Burst,
    # delivered apart: grouped by alertname) are one problem — never one per alert or per repeat
    problems = {i["problem"] for i in firing}
    assert None not in problems, [(i["alertname"], i["finding_id"], i["verdict"]) for i in firing]
    by_alert = {i["alertname"]: i["problem"] for i in firing}
    if "VirtApiRESTErrorsBurst" in by_alert:
        assert by_alert["VirtApiRESTErrorsBurst"] == by_alert["VirtApiRESTErrorsHigh"]
    messages = received(len(problems))
    assert len(messages) == len(problems) and all(m["text"].startswith("*Problem* (") for m in messages)
    for key in problems:
        problem = httpx.get(f"{serve_url}/api/v1/problems/{key}").json()
        [said] = [m["text"] for m in messages if m["text"].split("\n")[0].endswith(problem["title"])]
        assert all(alert in said for alert in problem["alerts"].values())
    metrics = httpx.get(f"{serve_url}/metrics").text
    assert 'virt_doctor_webhook_requests_total{code="200"}' in metrics
    assert 'code="401"' not in metrics  # Alertmanager sent the bearer token

    processes.stop(prometheus)  # no more alerts: Alertmanager lets them expire and sends them resolved
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and any(i["state"] != "resolved" for i in incidents(serve_url)):
        time.sleep(1)
    assert {i["state"] for i in incidents(serve_url)} == {"resolved"}
