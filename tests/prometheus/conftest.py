"""A real Prometheus (Debian's package) on 127.0.0.1, backfilled from a simulated metric history."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.tiers import starting


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; scripts/setup.sh installs Debian's prometheus package")
    return found


@contextmanager
def prometheus_from(openmetrics: Path, workdir: Path, rule_file: Path | None = None) -> Iterator[str]:
    """Backfill a TSDB with promtool, start Prometheus on it, yield its URL, stop it. With `rule_file`, Prometheus
    also evaluates those alerting rules every second (at its own clock: the history must reach now)."""
    starting("Prometheus")
    data = workdir / "tsdb"
    subprocess.run([binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(data)],
                   check=True, capture_output=True)
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\n" + (
        f"  evaluation_interval: 1s\nrule_files:\n  - {rule_file}\n" if rule_file is not None else ""))
    port = free_port()
    log = (workdir / "prometheus.log").open("w")
    process = subprocess.Popen([binary("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={data}",
                                f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y",
                                "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Prometheus did not start: {(workdir / 'prometheus.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        stop_process(process)
        log.close()


def stop_process(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """SIGTERM, then SIGKILL if it has not gone in 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
