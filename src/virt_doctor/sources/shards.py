"""Reading on every core: the tail of a list of work handed to forked worker processes, their answers marshalled back.

A dump of 40k files spends most of its load reading and parsing them one by one. `Shards` forks a worker per
extra core before the caller starts; each takes a contiguous slice from the end of the list and writes what
`work` made of each item to an unnamed temporary file, in `marshal` chunks (marshal writes three times faster
than pickle, and strings the worker shared stay shared within a chunk; a chunk at a time, the worker never holds
its whole share), telling the caller through a pipe each time a chunk is whole. The caller does the head of the
list itself, in its own order, then takes each worker's answers chunk by chunk as they come — so what it builds
is what it would have built alone, in the same order, and it takes in one chunk while the worker makes the next.

A worker never touches the caller's streams, locks or files beyond its own two, and leaves by `os._exit`: it
is safe to fork beside other threads (a progress spinner). If a worker fails in any way — an item `work` cannot
do, a value marshal cannot carry, the worker killed — `take` answers None for every item it did not finish and
the caller does them itself: a worker can make a load faster, never different.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import marshal
import os
import signal
import struct
import tempfile
import warnings
from collections.abc import Callable, Sequence
from typing import IO, Any

# Processes in all, the caller included: past this the caller's share (unmarshalling every answer, about a
# third of the time it took to make them, and its bookkeeping of every item) outweighs the parsing it is spared.
MAX_WORKERS = 4
# What taking one worker's answer in costs the caller (unmarshalling it, and its bookkeeping), against what one
# unit of `cost` does (a JSON object file read, parsed and normalized): measured on 10k- and 20k-VM JSON
# must-gathers, where the load is fastest with the caller reading 41% of the files (benchmarks/scan_scale.py).
TAKE_IN = 0.3


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork")


def worker_bounds(costs: Sequence[float], processes: int) -> list[tuple[int, int]]:
    """The [start, end) slices of the items (each of its cost) the workers take: contiguous, from the end of the
    list, each worker's costing what the caller's own share and taking in every worker's answers cost it, so
    that all finish together."""
    workers, count = processes - 1, len(costs)
    if workers < 1 or count < processes:
        return []
    prefix = list(itertools.accumulate(costs, initial=0.0))
    total = prefix[-1]

    def caller_ahead(start: int) -> bool:  # the caller, reading [0, start), has more to do than each worker
        return prefix[start] + TAKE_IN * (count - start) >= (total - prefix[start]) / workers

    start = bisect.bisect_left(range(count + 1), True, key=caller_ahead)
    ends = [bisect.bisect_left(prefix, prefix[start] + (total - prefix[start]) * k / workers)
            for k in range(1, workers)] + [count]
    bounds = list(zip([start, *ends[:-1]], ends, strict=True))
    return [(lo, hi) for lo, hi in bounds if lo < hi]


class Shards:
    """Items handed to forked workers; `take(key)` gives a worker's answer for an item (None: do it yourself)."""

    def __init__(self, items: Sequence[Any], work: Callable[[Any], Any], processes: int,
                 key: Callable[[Any], str] = str, cost: Callable[[Any], float] = lambda _: 1.0) -> None:
        self._where: dict[str, tuple[int, int]] = {}  # only the workers' items: the caller's are its own
        self._workers: list[_Worker] = []
        try:
            for number, (start, end) in enumerate(worker_bounds([cost(i) for i in items], processes)):
                self._workers.append(_Worker.start(items[start:end], work))
                for position in range(start, end):
                    self._where[key(items[position])] = (number, position - start)
        except BaseException:
            self.close()
            raise

    def take(self, key: str) -> Any:
        """A worker's answer for the item of this key, waiting for its chunk if it is not written yet; else None."""
        where = self._where.pop(key, None)
        if where is None:
            return None
        number, position = where
        return self._workers[number].answer(position)

    def close(self) -> None:
        """Stop and reap every worker (answers not taken are dropped)."""
        for worker in self._workers:
            worker.stop()
        self._workers.clear()
        self._where.clear()

    def __enter__(self) -> Shards:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


CHUNK = 1024  # items a worker marshals at a time: it holds only these, never its whole share's answers
LENGTH = struct.Struct("<Q")


class _Worker:
    """One forked process, the unnamed file it writes its answers to, the pipe it says each chunk is whole on,
    and the chunk being taken."""

    def __init__(self, pid: int, spool: IO[bytes], signals: int) -> None:
        self.pid, self.spool, self.signals = pid, spool, signals
        self._chunk: tuple[int, list[Any]] = (-1, [])  # the chunk being taken: its number and answers
        self._read = 0  # chunks read, and where the next begins in the spool
        self._offset = 0
        self._gone = False

    @classmethod
    def start(cls, items: Sequence[Any], work: Callable[[Any], Any]) -> _Worker:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        signals, written = os.pipe()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns of fork beside threads; the child touches none of their locks (see the module)
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except BaseException:
            spool.close()
            os.close(signals)
            os.close(written)
            raise
        if pid == 0:  # pragma: no cover - the child; its effect is tested through `take`
            os.close(signals)
            _child(spool.fileno(), written, items, work)
        os.close(written)  # the child holds the only writing end: when it is gone, reading says so
        return cls(pid, spool, signals)

    def answer(self, position: int) -> Any:
        """The answer for the item at this position of the worker's share, reading chunks up to its own as the
        worker finishes them; None when the worker will not (it failed) or that chunk was already let go."""
        number = position // CHUNK
        while self._chunk[0] < number:
            if not self._next():
                return None
        chunk = self._chunk[1] if self._chunk[0] == number else []
        return chunk[position % CHUNK] if position % CHUNK < len(chunk) else None

    def _next(self) -> bool:
        """Read the next chunk, once the worker says it is whole (the one before is let go); False if it never
        will be: the worker ended first, or what it wrote is not what it should be."""
        if self._gone:
            return False
        try:
            if not os.read(self.signals, 1):  # the worker left without finishing another chunk
                raise EOFError
            header = os.pread(self.spool.fileno(), LENGTH.size, self._offset)
            (size,) = LENGTH.unpack(header)
            payload = os.pread(self.spool.fileno(), size, self._offset + LENGTH.size)
            if len(payload) != size:
                raise EOFError
            chunk = marshal.loads(payload)
            if not isinstance(chunk, list):
                raise TypeError("not a list of answers")
        except (OSError, ValueError, EOFError, TypeError, struct.error):
            self._gone = True
            self._chunk = (-1, [])
            self._reap(kill=True)
            return False
        self._chunk = (self._read, chunk)
        self._read += 1
        self._offset += LENGTH.size + size
        return True

    def stop(self) -> None:
        self._reap(kill=True)
        self.spool.close()
        if self.signals >= 0:
            os.close(self.signals)
            self.signals = -1
        self._chunk = (-1, [])

    def _reap(self, kill: bool) -> int:
        """Wait for the worker (killed first if `kill`); its exit status, 0 for success (-1 if already reaped)."""
        if self.pid <= 0:
            return -1
        pid, self.pid = self.pid, 0
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except ChildProcessError:  # pragma: no cover - reaped elsewhere
            return -1


def _child(spool: int, signals: int, items: Sequence[Any],
           work: Callable[[Any], Any]) -> None:  # pragma: no cover - in the child
    """Do every item, write the answers a chunk at a time (saying so on `signals` once each is whole), and leave
    without running anything of the parent's."""
    status = 1
    try:
        for start in range(0, len(items), CHUNK):
            payload = marshal.dumps([work(item) for item in items[start:start + CHUNK]])
            view = memoryview(LENGTH.pack(len(payload)) + payload)
            while view:
                view = view[os.write(spool, view):]
            os.write(signals, b".")
        status = 0
    except BaseException:  # noqa: BLE001,S110 - any failure: the parent does the rest of these items itself
        pass
    finally:
        os._exit(status)
