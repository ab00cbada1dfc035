"""Debian's PostgreSQL for the store tests: a throwaway cluster in a temporary directory, on a Unix socket
and 127.0.0.1, started and stopped by the tests (as the postgres user when the tests run as root)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.tiers import starting

BIN = next((p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True) if (p / "initdb").exists()),
           None) if Path("/usr/lib/postgresql").is_dir() else None


@dataclass
class Postgres:
    url: str
    dir: Path
    port: int
    run_as: list[str]

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"],
                       capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def crash(self) -> None:
        """Stop the server at once, as a crash would (the data stays)."""
        subprocess.run([*self.run_as, str(BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"],
                       capture_output=True, check=True)

    def start_again(self) -> None:
        _start(self)


def unavailable_reason() -> str:
    return "" if BIN is not None else "Debian's postgresql is not installed (scripts/setup.sh installs it)"


def start() -> Postgres:
    assert BIN is not None
    starting("PostgreSQL")
    base = Path(tempfile.mkdtemp(prefix="virt-doctor-pg-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run([*run_as, str(BIN / "initdb"), "-D", str(base / "data"), "-U", "virtdoctor", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], capture_output=True, check=True)
    pg = Postgres(f"postgresql://virtdoctor@127.0.0.1:{port}/postgres", base, port, run_as)
    _start(pg)
    return pg


def _start(pg: Postgres) -> None:
    options = f"-c listen_addresses=127.0.0.1 -p {pg.port} -k {pg.dir} -c fsync=off -c max_connections=50"
    subprocess.run([*pg.run_as, str(BIN / "pg_ctl"), "-D", str(pg.dir / "data"), "-o", options, "-l",
                    str(pg.dir / "log"), "-w", "-t", "60", "start"], capture_output=True, check=True)


_databases = iter(range(10**6))


def new_database(server: Postgres) -> str:
    """A new, empty database on the server: its URL."""
    import psycopg

    name = f"t{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + f"/{name}"
