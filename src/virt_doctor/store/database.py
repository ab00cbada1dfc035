"""Open the store: an SQLite file by default (WAL, zero set-up) or PostgreSQL; migrated to the newest schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from virt_doctor.errors import VirtDoctorError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(VirtDoctorError):
    """The store cannot be opened or used; the message names the database (never its password)."""


def url_of(where: str) -> str:
    """A database URL from what a user types: a URL, or a path for an SQLite file."""
    return where if "://" in where else f"sqlite:///{Path(where).expanduser().resolve()}"


def safe_url(url: str) -> str:
    """The URL as it may be printed: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable database URL)"


def open_engine(where: str) -> Engine:
    """An engine for the store, migrated to the newest schema."""
    url = url_of(where)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"--db {safe_url(url)}: not a database URL ({exc})") from exc
    if parsed.drivername.startswith("postgresql") and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    elif not parsed.drivername.startswith("postgresql"):
        raise StoreError(f"--db {safe_url(url)}: only SQLite and PostgreSQL are supported")
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"--db {safe_url(url)}: {exc}") from exc
    if parsed.drivername.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    try:
        migrate(engine)
    except OperationalError as exc:
        raise StoreError(f"--db {safe_url(url)}: cannot open ({_first_line(exc)})") from exc
    return engine


def sessions(engine: Engine, writes: bool = False) -> sessionmaker[Session]:
    """Sessions for reading, or (`writes`) for transactions that read then write: on SQLite those take the
    write lock when they begin, so two of them queue up instead of one failing part-way."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if writes else engine
    return sessionmaker(bind, expire_on_commit=False)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (Alembic), whatever revision it is at."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL: readers never wait for the writer; synchronous=NORMAL is durable across a process kill in WAL mode.
    The driver's own transaction handling is switched off: _sqlite_begin starts every transaction."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _sqlite_begin(connection: Any) -> None:
    """BEGIN IMMEDIATE for write sessions: the write lock taken when the transaction starts, so two that read
    then write the same incident queue up (SQLite's SELECT ... FOR UPDATE); plain BEGIN for readers."""
    immediate = connection.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
