"""Webhook load: Alertmanager notifications posted to `virt-doctor serve` at rising rates, on SQLite and on
PostgreSQL, in one run. Each notification carries 10 alerts (a group, as Alertmanager sends them) built from
the example dump's findings, over a pool of 2,000 fingerprints: the first pass opens incidents, later ones
update them. Open loop: requests leave on schedule whether or not earlier ones have been answered.

    .venv/bin/python benchmarks/webhook_load.py                    # 100, 200, 400 alerts/s, 15 s each
    .venv/bin/python benchmarks/webhook_load.py --rates 200 --seconds 30

Reported per store and rate: alerts/s acknowledged, p50/p99 latency of the answer (diagnosis and commit
included), errors, and whether the store holds exactly what was acknowledged (no loss, no duplicate).
Targets: >= 200 alerts/s sustained with p99 <= 250 ms, zero lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tables import markdown_table  # noqa: E402
from tests.prometheus.conftest import free_port, stop_process  # noqa: E402
from tests.serve import postgres  # noqa: E402
from tests.serve.test_webhook import am_alert, instance_labels, payload  # noqa: E402

from virt_doctor.scan import ScanRequest, run_scan  # noqa: E402

EXAMPLE = ROOT / "examples" / "broken-cluster"
BATCH = 10
POOL = 2000


def alert_pool() -> list[dict]:  # type: ignore[type-arg]
    findings = run_scan(ScanRequest(source=EXAMPLE)).report.findings
    return [am_alert({**instance_labels(f), "replica": str(i)}, f"load-{i:05d}")
            for i, f in ((i, findings[i % len(findings)]) for i in range(POOL))]


def start_serve(db: str, workdir: Path) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    port = free_port()
    process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "virt-doctor"), "serve", "--from", str(EXAMPLE),
                                "--db", db, "--port", str(port), "--log-level", "warning"],
                               stdout=(workdir / "serve.log").open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"serve did not start: {(workdir / 'serve.log').read_text()[-2000:]}")


async def run_rate(url: str, pool: list[dict], rate: int, seconds: float, offset: int) -> dict:  # type: ignore[type-arg]
    """Post rate/BATCH notifications a second for `seconds`; each answer's latency and status."""
    interval = BATCH / rate
    count = int(seconds * rate / BATCH)
    latencies: list[float] = []
    errors = 0
    acked_keys: list[str] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        async def one(n: int) -> None:
            nonlocal errors
            alerts = [pool[(offset + n * BATCH + i) % POOL] for i in range(BATCH)]
            started = time.perf_counter()
            try:
                answer = await client.post("/api/v1/alertmanager", json=payload(alerts))
            except httpx.HTTPError:
                errors += 1
                return
            latencies.append(time.perf_counter() - started)
            if answer.status_code == 200:
                acked_keys.extend(a["fingerprint"] for a in alerts)
            else:
                errors += 1

        began = time.perf_counter()
        tasks = []
        for n in range(count):
            delay = began + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {"rate": rate, "sent": count * BATCH, "acked": len(acked_keys), "alerts_per_s": len(acked_keys) / elapsed,
            "p50": statistics.median(latencies) * 1000 if latencies else 0,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0, "errors": errors,
            "notifications": count - errors, "keys": set(acked_keys)}


def stored(db: str) -> tuple[int, int, int]:
    """(incidents from the load, their notification count summed, notifications stored)."""
    if db.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db) as conn:
            incidents, counted = conn.execute("SELECT count(*), coalesce(sum(notifications), 0) FROM incidents "
                                              "WHERE key LIKE 'load-%'").fetchone()
            notifications = conn.execute("SELECT count(*) FROM notifications").fetchone()[0]
    else:
        with sqlite3.connect(db) as conn:
            incidents, counted = conn.execute("SELECT count(*), coalesce(sum(notifications), 0) FROM incidents "
                                              "WHERE key LIKE 'load-%'").fetchone()
            notifications = conn.execute("SELECT count(*) FROM notifications").fetchone()[0]
    return int(incidents), int(counted), int(notifications)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="100,200,400", help="alerts/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each rate is held")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    pool = alert_pool()
    rows = []
    with tempfile.TemporaryDirectory(prefix="virt-doctor-load-", dir="/dev/shm") as tmp:
        work = Path(tmp)
        pg = postgres.start()
        try:
            import psycopg

            with psycopg.connect(pg.url, autocommit=True) as conn:
                conn.execute("CREATE DATABASE load")
            for store, db in (("SQLite", str(work / "incidents.db")), ("PostgreSQL", pg.url.rsplit("/", 1)[0] + "/load")):
                process, url = start_serve(db, work)
                acked = notified = 0
                keys: set[str] = set()
                try:
                    for i, rate in enumerate(rates):
                        print(f"== {store}: {rate} alerts/s for {args.seconds:.0f}s", file=sys.stderr, flush=True)
                        row = asyncio.run(run_rate(url, pool, rate, args.seconds, offset=i * 7))
                        acked += row["acked"]
                        keys |= row["keys"]
                        notified += row["notifications"]
                        rows.append({"store": store, **row})
                finally:
                    stop_process(process)
                incidents, counted, notifications = stored(db)
                # every acknowledged alert counted once on its incident, every notification kept, no extra incident
                exact = counted == acked and notifications == notified and incidents == len(keys)
                for row in rows:
                    if row["store"] == store:
                        row["exact"] = exact
        finally:
            pg.stop()
    print(markdown_table(
        ["store", "target alerts/s", "acknowledged alerts/s", "p50 ms", "p99 ms", "errors", "store exact"],
        ([r["store"], r["rate"], f"{r['alerts_per_s']:.0f}", f"{r['p50']:.1f}", f"{r['p99']:.1f}", r["errors"],
          "yes" if r["exact"] else "NO"] for r in rows), text={0, 6}))
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {BATCH} alerts a notification")


if __name__ == "__main__":
    main()
