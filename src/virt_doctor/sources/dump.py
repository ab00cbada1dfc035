"""Read a dump — a directory, .tar (gzip, xz, bzip2 or zstd), or .zip of Kubernetes objects — into raw parts.

Everything in the tree is looked at once: YAML/JSON files become objects (single
objects, multi-document YAML, `List` and `*List` kinds), must-gather pod logs
become log evidence, the must-gather `timestamp` file gives the collection time.
A bad file is a warning naming it; only an unreadable source is an error.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson
import yaml

from virt_doctor.errors import SourceError
from virt_doctor.snapshot.alert_rules import CollectedPrometheus
from virt_doctor.snapshot.seen import EVERYWHERE, LISTED, Scope
from virt_doctor.sources import mustgather, resources
from virt_doctor.sources.compact import StringPool
from virt_doctor.sources.gatherers import CRD_DIR, MONITORING, Gatherers
from virt_doctor.sources.monitoring import ALERT_FILES, NotPrometheusAPI, read_prometheus_answer
from virt_doctor.sources.normalize import malformed, normalize
from virt_doctor.sources.seenfile import SEEN_FILE, read_seen_file
from virt_doctor.sources.shards import MAX_WORKERS, Shards, can_fork, cores
from virt_doctor.sources.yamlparse import YAMLParseError, parse_yaml

OBJECT_SUFFIXES = (".yaml", ".yml", ".json")
MAX_OBJECT_FILE = 512 * 1024 * 1024
MAX_TOTAL = 64 * 1024**3  # bytes expanded from one dump, objects and log tails together
UNKNOWN_SIZE = -1

Reader = Callable[[int | None], bytes]  # reader(None): the whole file; reader(n): its last n bytes
Entry = tuple[str, int, Reader]  # path inside the dump, size when a header or directory says it (else -1), reader


class Truncated(Exception):  # noqa: N818 - a verdict on the archive
    """The archive ends before its last member: its tar stream runs out before `offset`, where the next member
    would begin; nothing from the member it cut into on was read."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset, self.reason = offset, reason


class TooLarge(Exception):  # noqa: N818 - a verdict on one file
    """A file over MAX_OBJECT_FILE, told by its size before it is read or expanded."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


@dataclass
class RawDump:
    """What a dump holds before indexing: objects, logs, collection time, and what went wrong."""

    location: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[tuple[str, str, str], mustgather.PodLog] = field(default_factory=dict)
    collected_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    scopes: dict[Scope, str] = field(default_factory=dict)  # what was listed where (snapshot/seen.py)
    reasons: dict[Scope, str] = field(default_factory=dict)  # why a scope was refused or failed
    inspected: set[str] = field(default_factory=set)  # namespaces whose must-gather tree is here
    selected: dict[str, list[str]] = field(default_factory=dict)  # kind -> the selectors a live read narrowed it by
    files_read: int = 0
    gatherers: Gatherers = field(default_factory=Gatherers, repr=False)  # who wrote each image directory
    prometheus: CollectedPrometheus | None = None  # the cluster's Prometheus at collection (gather_monitoring)
    truncated: str | None = None  # why the archive ends early: what follows the cut is not seen
    # (kind, namespace) a directory of one-object files shows listed: true only of a dump read to its end
    object_dirs: set[tuple[str, str, bool]] = field(default_factory=set, repr=False)  # listings of one-object files
    strings: StringPool = field(default_factory=StringPool, repr=False)


def read_dump(path: str | os.PathLike[str], processes: int | None = None) -> RawDump:
    """Walk a dump once and return its objects, logs, collection time and what it listed where.

    A directory or zip archive of many object files is parsed by `processes` processes (default: one a core, up
    to shards.MAX_WORKERS); the result is the one a single process reads. Tar archives are read in one.
    """
    root = Path(path)
    if not root.exists():
        raise SourceError(f"{root}: no such file or directory")
    if root.is_dir():
        paths = _walk_dir_paths(root)
        cut = len(os.path.join(str(root), ""))
        work = functools.partial(_parse_in_worker, cut, StringPool())
        with _parallel([p for p in paths if p is not None], lambda p: p[cut:], work, processes) as shards:
            return read_entries(str(root), _dir_entries(paths, cut), shards=shards)
    if _is_zip(root):
        with _open_zip(root) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            names = [info.filename for info in infos]
            members = _ZipMembers(str(root))
            with _parallel(names if len(set(names)) == len(names) else [], str, members, processes) as shards:
                return read_entries(str(root), _zip_entries(archive, infos), shards=shards)
    return read_entries(str(root), _walk(root))


# Below this much work a worker costs about what it saves: a JSON file counts one, a YAML file (three times
# slower to parse) three; 6,000 is a 1.5k-VM JSON must-gather or a 500-VM YAML one (benchmarks/scan_scale.py).
MIN_PARALLEL_WORK = 6000


def _parallel(items: list[str], rel: Callable[[str], str], work: Callable[[str], tuple[Any, ...] | None],
              processes: int | None) -> Shards | contextlib.nullcontext[None]:
    """Workers for the tail of the object files (each item's path in the dump: `rel`), when there is enough work
    and cores to spare."""
    wanted = min(cores(), MAX_WORKERS) if processes is None else processes
    if wanted < 2 or not can_fork():
        return contextlib.nullcontext()
    objects = [item for item in items if _parsed_alike(rel(item))]
    if sum(map(_work, objects)) < MIN_PARALLEL_WORK:
        return contextlib.nullcontext()
    return Shards(objects, work, wanted, key=rel, cost=_work)


def _work(path: str) -> float:
    """What parsing an object file costs, a JSON one counting one (YAML, three times slower to parse, three)."""
    return 1.0 if path.endswith(".json") else 3.0


def _parsed_alike(rel: str) -> bool:
    """Whether `_read_all` will parse this file as objects (judged from its path alone; a worker that parses one
    it will not use has only wasted its time)."""
    return rel.endswith(OBJECT_SUFFIXES) and not rel.endswith(SEEN_FILE) and "monitoring/" not in rel \
        and CRD_DIR not in rel


def _parse_in_worker(cut: int, strings: StringPool, path: str) -> tuple[Any, ...] | None:
    """In a worker: one object file parsed, as plain values (None when unreadable: the caller says why)."""
    try:
        data = _read_file(path)
    except (OSError, TooLarge):
        return None
    return tuple(parse_object_file(path[cut:], data, strings))


class _ZipMembers:
    """In a worker: members of a zip archive parsed, through the worker's own handle on it (a ZipFile shares its
    file offset across a fork, so the caller's cannot be used), opened at its first member."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.strings = StringPool()
        self._archive: zipfile.ZipFile | None = None

    def __call__(self, name: str) -> tuple[Any, ...] | None:
        try:
            if self._archive is None:
                self._archive = zipfile.ZipFile(self.location)  # noqa: SIM115 - the worker leaves by os._exit
            info = self._archive.getinfo(name)
            if info.file_size > MAX_OBJECT_FILE:
                return None
            data = _zip_read(self._archive, info)
        except (OSError, KeyError, zipfile.BadZipFile, zlib.error, EOFError, TooLarge):
            return None
        return tuple(parse_object_file(name, data, self.strings))


def read_entries(location: str, entries: Iterable[Entry], max_total: int = MAX_TOTAL,
                 shards: Shards | None = None) -> RawDump:
    """Read a dump's files, given as (path inside the dump, size or -1, reader), in the order a walk yields them.

    A file larger than MAX_OBJECT_FILE is skipped by its header's (or the file system's) size, before
    anything is decompressed; logs are read by their last LOG_TAIL_BYTES; past `max_total` bytes expanded
    in all, reading stops with a warning (what was read is kept, and only it counts as seen). `shards` holds
    object files workers parsed already.
    """
    raw = RawDump(location=location)
    try:
        _read_all(raw, entries, max_total, shards)
    except Truncated as cut:
        raw.truncated = f"{location}: the archive is cut before byte {cut.offset} of its tar stream " \
                        f"({cut.reason}); read what comes before the cut"
    _settle_listings(raw)
    if not raw.objects:
        why = f"; {raw.warnings[0]}" + (f" (and {len(raw.warnings) - 1} more)" if len(raw.warnings) > 1 else "") \
            if raw.warnings else ""
        raise SourceError(f"{location}: no Kubernetes objects found (looked for .yaml, .yml and .json files){why}")
    raw.strings = StringPool()  # the pool's table is not needed once loading is done
    return raw


def _settle_listings(raw: RawDump) -> None:
    """What a directory of one-object files, and a gatherer's scripts, show listed, once the whole dump was
    read: a cut archive shows only its whole list files, since the rest of a directory may lie past the cut."""
    if raw.truncated is not None:
        raw.warnings.insert(0, f"{raw.truncated}; the rest is not read, and nothing in it is claimed absent")
        return
    for kind, namespace, _whole in raw.object_dirs:
        raw.scopes.setdefault(Scope(kind, namespace), LISTED)
    for scope, _script in raw.gatherers.proofs():
        raw.scopes.setdefault(scope, LISTED)


def _read_all(raw: RawDump, entries: Iterable[Entry], max_total: int, shards: Shards | None) -> None:
    location = raw.location
    timestamp_depth = 10**6
    total = 0
    take = shards.take if shards is not None else None
    for rel, size, read in entries:
        name = rel.rpartition("/")[2]
        inner = raw.gatherers.see(rel)
        if name == "version":  # a gatherer's, at the top of its image directory (others are passed over)
            raw.gatherers.version_file(rel, read(4096))
            continue
        if inner is not None and inner[2] is not None:
            if inner[2] is MONITORING:
                _monitoring_file(raw, rel, inner[1], read)
            continue  # CRD_DIR: gather_crds' CRD definitions, whose names prove what gather_crs listed (gatherers.py)
        if name == SEEN_FILE:  # what a `virt-doctor collect` listed where, recorded beside the objects
            raw.gatherers.collected(rel.rsplit("/", 1)[0] if "/" in rel else "")
            try:
                scopes, reasons = read_seen_file(read(None), location)
            except (ValueError, yaml.YAMLError) as exc:
                raw.warnings.append(f"{rel}: not a record of what was seen ({exc}); ignored")
            else:
                raw.scopes.update(scopes)
                raw.reasons.update(reasons)
            continue
        objects = name.endswith(OBJECT_SUFFIXES)
        if not objects and not name.endswith(".log") and name != "timestamp":
            continue
        if total + max(size, 0) > max_total:
            raw.truncated = f"{rel}: stopped reading the dump here, past {max_total // 2**20} MiB expanded"
            break
        try:
            if objects:
                raw.files_read += 1
                namespace = mustgather.inspected_namespace(rel)
                if namespace:
                    raw.inspected.add(namespace)
                taken = take(rel) if take is not None else None
                if taken is not None:
                    parsed = Parsed(*taken)
                else:
                    if size > MAX_OBJECT_FILE:
                        raise TooLarge(size)
                    parsed = parse_object_file(rel, read(None), raw.strings)
                total += parsed.size
                _take(raw, rel, parsed)
            elif name == "timestamp":
                depth = rel.count("/")
                if depth < timestamp_depth:
                    moment = mustgather.parse_timestamp_file(read(None))
                    if moment is not None:
                        raw.collected_at, timestamp_depth = moment, depth
            else:
                key = mustgather.log_key(rel)
                if key is not None:
                    data = read(mustgather.LOG_TAIL_BYTES)
                    total += max(size, len(data))
                    _add_log(raw, rel, key, data)
        except TooLarge:
            raw.warnings.append(f"{rel}: skipped, larger than {MAX_OBJECT_FILE // 2**20} MiB")
            raw.skipped_files.append(rel)
        except (OSError, tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raw.warnings.append(f"{rel}: unreadable ({exc})")
            raw.skipped_files.append(rel)


def _monitoring_file(raw: RawDump, rel: str, inner: str, read: Reader) -> None:
    """gather_monitoring's Prometheus answers: the alerts file is read (the newest layout wins), the others
    (config, flags, targets, tsdb status) are not Kubernetes objects and are passed over."""
    if inner not in ALERT_FILES:
        return
    if raw.prometheus is not None and (inner == ALERT_FILES[1] or raw.prometheus.where.endswith(ALERT_FILES[0])):
        return  # one answer is enough: rules.json over the older alerts.json
    try:
        raw.prometheus = read_prometheus_answer(rel, read(None))
    except NotPrometheusAPI as exc:
        raw.warnings.append(f"{rel}: not Prometheus' rules API answer ({exc}); the cluster's alerts at collection "
                            "are not read from it")
    except (OSError, tarfile.TarError, zlib.error, EOFError, TooLarge) as exc:
        raw.warnings.append(f"{rel}: unreadable ({exc})")
        raw.skipped_files.append(rel)


def in_memory(files: Iterable[tuple[str, bytes]]) -> Iterator[Entry]:
    """Files held in memory, as the entries `read_entries` takes."""
    for rel, data in files:
        yield rel, len(data), functools.partial(_slice, data)


def _slice(data: bytes, tail: int | None = None) -> bytes:
    return data if tail is None else data[-tail:]


def _walk(root: Path) -> Iterator[Entry]:
    """Every regular file under root (a directory or an archive), as (relative path, size, reader)."""
    if root.is_dir():
        yield from _walk_dir(root)
    elif root.is_file() and root.name.endswith(OBJECT_SUFFIXES):
        # one file, e.g. `kubectl get -o yaml` output
        yield root.name, UNKNOWN_SIZE, functools.partial(_read_file, str(root))
    elif zipfile.is_zipfile(root):
        yield from _walk_zip(root)
    elif root.is_file():
        yield from _walk_tar(root)
    else:
        raise SourceError(f"{root}: not a directory, .tar, .tar.gz, .zip, or a .yaml/.json file")


def _walk_dir(root: Path) -> Iterator[Entry]:
    """Every regular file under a directory, depth-first, sorted."""
    return _dir_entries(_walk_dir_paths(root), len(os.path.join(str(root), "")))


def _walk_dir_paths(root: Path) -> list[str | None]:
    """The path of every regular file under root, depth-first, sorted (a dump can hold 100k+ files)."""
    paths: list[str | None] = []
    stack = [str(root)]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise SourceError(f"{directory}: cannot list ({exc.strerror})") from exc
        subdirs = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                subdirs.append(entry.path)
            elif entry.is_file():
                paths.append(entry.path)
        stack.extend(reversed(subdirs))
    return paths


def _dir_entries(paths: list[str | None], cut: int) -> Iterator[Entry]:
    """The files as entries (path inside the dump: the path past `cut`), each path let go once yielded, so the
    list costs no memory by the time the objects are all loaded."""
    for at, path in enumerate(paths):
        if path is not None:
            paths[at] = None
            yield path[cut:], UNKNOWN_SIZE, functools.partial(_read_file, path)


MAGIC = ((b"\x1f\x8b", "a gzip file that holds no readable tar archive (cut short, or not a .tar.gz?)"),
         (b"BZh", "a bzip2 file that holds no readable tar archive"),
         (b"\xfd7zXZ", "an xz file that holds no readable tar archive"),
         (b"\x28\xb5\x2f\xfd", "a zstd file that holds no readable tar archive (a .tar.zst is read through libarchive)"))


def what_it_is(path: Path) -> str:
    """A file that is no dump, in a few words: empty, text, a compressed non-tar, or of an unknown format."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not head:
        return "an empty file"
    for magic, said in MAGIC:
        if head.startswith(magic):
            return said
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "a file of an unknown format"
    return "a text file"


NOT_A_DUMP = "not a dump (give a directory, .tar, .tar.gz, .zip, or a .yaml/.json file of Kubernetes objects)"


@functools.cache
def _libarchive() -> Any:
    """libarchive-c when this machine has libarchive (Debian's libarchive13), else None: it reads a tar's headers in
    C, where tarfile spends 50 µs on each member's, most of the time a must-gather .tar.gz takes to read."""
    try:
        import libarchive
        import libarchive.exception
    except (ImportError, OSError, AttributeError, TypeError):  # the package, or the C library it loads, is missing
        return None
    return libarchive


def _walk_tar(root: Path) -> Iterator[Entry]:
    """A tar archive's regular files (uncompressed, or gzip, bzip2, xz ...), through libarchive if it is here."""
    libarchive = _libarchive()
    if libarchive is not None:
        yield from _walk_libarchive(root, libarchive)
    else:
        yield from _walk_tarfile(root)


def _walk_tarfile(root: Path) -> Iterator[Entry]:
    try:
        archive = tarfile.open(root, "r:*")  # noqa: SIM115 - closed below, streamed
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{root}: {what_it_is(root)}, {NOT_A_DUMP}") from exc
    try:
        while True:
            try:
                member = archive.next()
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                if archive.offset == 0:  # not even one member: no archive at all
                    raise SourceError(f"{root}: corrupt archive ({exc})") from exc
                raise Truncated(archive.offset, str(exc) or type(exc).__name__) from exc
            if member is None:
                break
            if member.isfile():  # the header's size is what the member expands to
                yield member.name.lstrip("./"), member.size, functools.partial(_tar_read, archive, member)
    finally:
        archive.close()


def _read_file(path: str, tail: int | None = None) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        if tail is not None:
            size = os.fstat(fd).st_size
            if size > tail:
                os.lseek(fd, size - tail, os.SEEK_SET)
        else:
            size = os.fstat(fd).st_size
            if size > MAX_OBJECT_FILE:
                raise TooLarge(size)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def _walk_libarchive(root: Path, libarchive: Any) -> Iterator[Entry]:
    """The tar's regular files as libarchive reads them, in the archive's order (hard links, whose data is another
    member's, are passed over as tarfile does); an archive cut short is Truncated where its tar stream ends. What
    libarchive will not open, or cannot read a first member of, tarfile is given (a small archive cut short fails
    libarchive's first read-ahead, where tarfile reads the members before the cut; tarfile names what is not one)."""
    failure = libarchive.exception.ArchiveError
    with contextlib.ExitStack() as held:
        try:
            archive = held.enter_context(libarchive.file_reader(str(root), format_name="tar"))
            members = iter(archive)
            entry = next(members, None)
        except failure:
            entry = archive = None
        if archive is None:
            yield from _walk_tarfile(root)
            return
        while entry is not None:
            if entry.isreg and not entry.islnk:
                size = entry.size
                yield (str(entry.pathname or "").lstrip("./"), UNKNOWN_SIZE if size is None else size,
                       functools.partial(_libarchive_read, entry, failure, size or 0))
            try:
                entry = next(members, None)
            except failure as exc:
                raise Truncated(_tar_stream_bytes(archive, libarchive), _said(exc)) from exc


def _tar_stream_bytes(archive: Any, libarchive: Any) -> int:
    """How far into the tar stream (after decompression) libarchive got."""
    try:
        return int(libarchive.ffi.filter_bytes(archive._pointer, 0))
    except (AttributeError, TypeError):  # pragma: no cover - an older libarchive-c: the compressed bytes read
        return int(archive.bytes_read)


def _said(exc: BaseException) -> str:
    """libarchive's message for an error, on one line."""
    return " ".join((str(exc.args[0]) if exc.args else type(exc).__name__).split())


def _libarchive_read(entry: Any, failure: type[Exception], size: int, tail: int | None = None) -> bytes:
    """One member's data as libarchive expands it (whole, or its last `tail` bytes); its errors as OSError."""
    try:
        blocks = entry.get_blocks(block_size=max(4096, min(size + 1, 1 << 20)))  # most files in one read
        if tail is not None:
            kept = b""
            for block in blocks:
                kept = (kept + block)[-tail:]
            return kept
        data, total = [], 0
        for block in blocks:
            total += len(block)
            if total > MAX_OBJECT_FILE:  # a header that lied about the size
                raise TooLarge(total)
            data.append(block)
        return data[0] if len(data) == 1 else b"".join(data)
    except failure as exc:
        raise OSError(_said(exc)) from exc


def _stream(handle: IO[bytes], tail: int | None) -> bytes:
    """The whole stream, or only its last `tail` bytes without holding the rest."""
    if tail is None:
        data = handle.read(MAX_OBJECT_FILE + 1)
        if len(data) > MAX_OBJECT_FILE:  # a header that lied about the size
            raise TooLarge(len(data))
        return data
    kept = b""
    while chunk := handle.read(1 << 20):
        kept = (kept + chunk)[-tail:]
    return kept


def _tar_read(archive: tarfile.TarFile, member: tarfile.TarInfo, tail: int | None = None) -> bytes:
    handle = archive.extractfile(member)
    if handle is None:
        return b""
    with handle:
        return _stream(handle, tail)


def _zip_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, tail: int | None = None) -> bytes:
    with archive.open(info) as handle:
        return _stream(handle, tail)


def _is_zip(root: Path) -> bool:
    return root.is_file() and not root.name.endswith(OBJECT_SUFFIXES) and zipfile.is_zipfile(root)


def _open_zip(root: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(root)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{root}: corrupt zip archive ({exc})") from exc


def _walk_zip(root: Path) -> Iterator[Entry]:
    with _open_zip(root) as archive:
        yield from _zip_entries(archive, [info for info in archive.infolist() if not info.is_dir()])


def _zip_entries(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> Iterator[Entry]:
    for info in infos:
        yield info.filename, info.file_size, functools.partial(_zip_read, archive, info)


def _add_log(raw: RawDump, rel: str, key: tuple[str, str, str, str], data: bytes) -> None:
    namespace, pod, container, which = key
    log = raw.logs.setdefault((namespace, pod, container), mustgather.PodLog(path=rel))
    setattr(log, which, mustgather.tail_lines(data))
    log.paths[which] = rel


class Parsed(NamedTuple):
    """What one object file holds, parsed and normalized, before it joins a dump: plain values only, so a
    worker process can hand it back (sources/shards.py)."""

    objects: list[dict[str, Any]]
    warnings: list[str]
    listed: list[tuple[str, str]]  # (kind, namespace) a free-form List shows listed, in the order it shows them
    skipped: bool  # nothing usable in it: the file is named among the skipped
    readable: bool  # it parsed as JSON/YAML
    listing: tuple[str, str, bool] | None  # mustgather.listing_of its path
    size: int  # bytes read


def parse_object_file(rel: str, data: bytes, strings: StringPool) -> Parsed:
    """Parse one object file and normalize every Kubernetes object in it; nothing of the dump is touched."""
    try:
        documents = [orjson.loads(data)] if rel.endswith(".json") else parse_yaml(data.decode("utf-8"))
    except YAMLParseError as exc:
        where = f"{rel}:{exc.line}" if exc.line else rel
        return _unreadable(f"{where}: invalid YAML ({exc})", len(data))
    except orjson.JSONDecodeError as exc:
        return _unreadable(f"{rel}: invalid JSON ({exc})", len(data))
    except UnicodeDecodeError as exc:
        return _unreadable(f"{rel}: not UTF-8 text ({exc.reason} at byte {exc.start})", len(data))
    listing = mustgather.listing_of(rel)
    if len(documents) == 1 and type(only := documents[0]) is dict and "items" not in only:
        # one object, the file most of a must-gather is: what _add_document does with it, without its turns
        problem = malformed(only)
        if problem is None:
            return Parsed([normalize(only, strings)], [], [], False, True, listing, len(data))
        return Parsed([], [f"{rel}: object {problem}; skipped"], [], not _is_empty_list(documents), True, listing,
                      len(data))
    out = Parsed([], [], [], False, True, listing, len(data))
    found = 0
    for index, document in enumerate(documents, start=1):
        found += _add_document(out, strings, rel, index, document, len(documents) > 1, listing is None)
    return out._replace(skipped=found == 0 and bool(documents) and not _is_empty_list(documents))


def _unreadable(warning: str, size: int) -> Parsed:
    return Parsed([], [warning], [], True, False, None, size)


def _take(raw: RawDump, rel: str, parsed: Parsed) -> None:
    """Add one parsed object file to the dump: its objects, warnings, and what its place shows listed."""
    objects, warnings, listed, skipped, readable, listing, _size = parsed
    if readable:
        if listing is None:
            if "namespaces/" not in rel and "cluster-scoped-resources/" not in rel:
                raw.gatherers.plain(rel)
        elif listing[2]:
            raw.scopes.setdefault(Scope(listing[0], listing[1]), LISTED)
        else:
            raw.object_dirs.add(listing)  # a file of a directory that lists its kind: settled once all is read
        for kind, namespace in listed:
            raw.scopes[Scope(kind, namespace)] = LISTED
    raw.objects.extend(objects)
    if warnings:
        raw.warnings.extend(warnings)
    if skipped:
        raw.skipped_files.append(rel)


def _is_empty_list(documents: list[Any]) -> bool:
    return all(isinstance(d, dict) and d.get("items") in ([], None) and "List" in str(d.get("kind")) for d in documents)


def _add_document(out: Parsed, strings: StringPool, rel: str, index: int, document: Any, multi: bool,
                  free_form: bool = False) -> int:
    """Add one parsed document (an object or a list of them); return how many objects it held.

    `free_form`: the file's place names no listing (not the must-gather layout); a List document there
    still shows what was listed: each item's kind in each item's namespace (cluster-wide for cluster-scoped
    kinds), and an empty typed list of a cluster-scoped kind.
    """
    where = f"{rel} (document {index})" if multi else rel
    if isinstance(document, list):
        return sum(_add_document(out, strings, rel, index, item, True, free_form) for item in document)
    if not isinstance(document, dict):
        out.warnings.append(f"{where}: not a Kubernetes object (a {type(document).__name__})")
        return 0
    kind = document.get("kind")
    items = document.get("items")
    if items is None and isinstance(kind, str) and kind.endswith("List") and "items" in document:
        items = []  # `items: null` is an empty list
    if isinstance(items, list) and (not kind or str(kind).endswith("List")):
        item_kind = str(kind)[: -len("List")] if kind and kind != "List" else None
        if free_form:
            _mark_listed(out.listed, item_kind, items)
        added = 0
        for position, item in enumerate(items):
            if isinstance(item, dict) and not item.get("kind") and item_kind:
                item["kind"] = item_kind
                item.setdefault("apiVersion", document.get("apiVersion", "v1"))
            problem = malformed(item)
            if problem is None:
                out.objects.append(normalize(item, strings))
                added += 1
            else:
                out.warnings.append(f"{where}: item {position} {problem}; skipped")
        return added
    problem = malformed(document)
    if problem is not None:
        out.warnings.append(f"{where}: object {problem}; skipped")
        return 0
    out.objects.append(normalize(document, strings))
    return 1


def _mark_listed(listed: list[tuple[str, str]], item_kind: str | None, items: list[Any]) -> None:
    """A free-form List is a listing: of its kinds, in the namespaces its items are in."""
    if item_kind and resources.is_namespaced(item_kind) is False:
        listed.append((item_kind, EVERYWHERE))
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("kind") or item_kind, str):
            continue
        kind = str(item.get("kind") or item_kind)
        namespaced = resources.is_namespaced(kind)
        metadata = item.get("metadata")
        namespace = str(metadata.get("namespace") or "") if isinstance(metadata, dict) else ""
        if namespaced is False or (namespaced is None and not namespace):
            listed.append((kind, EVERYWHERE))
        elif namespace:
            listed.append((kind, namespace))
