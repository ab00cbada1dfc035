"""Reading on every core: the tail of a list of work handed to forked worker processes, their answers marshalled back.

A dump of 40k files spends most of its load reading and parsing them one by one. `Shards` forks a worker per
extra core before the caller starts; each takes a contiguous slice from the end of the list and writes what
`work` made of each item to an unnamed temporary file, in `marshal` chunks (marshal writes three times faster
than pickle, and strings the worker shared stay shared within a chunk; a chunk at a time, the worker never holds
its whole share). The caller does the head of the list itself, in its own order, and takes each worker's
answers when it reaches the first item of that worker's slice — so what it builds is what it would have built
alone, in the same order.

A worker never touches the caller's streams, locks or files beyond its own file, and leaves by `os._exit`: it
is safe to fork beside other threads (a progress spinner). If a worker fails in any way — an item `work` cannot
do, a value marshal cannot carry, the worker killed — `take` answers None for its items and the caller does
them itself: a worker can make a load faster, never different.
"""

from __future__ import annotations

import contextlib
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


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork")


def worker_bounds(count: int, processes: int) -> list[tuple[int, int]]:
    """The [start, end) slices of `count` items the workers take: contiguous, from the end of the list.

    Even shares: what the caller does besides its own share (taking the answers in) costs about what a worker
    spends marshalling them (measured on a 10k-VM JSON must-gather, benchmarks/scan_scale.py).
    """
    workers = processes - 1
    each = count // processes if workers >= 1 else 0
    if each < 1:
        return []
    first = count - workers * each
    return [(first + k * each, first + (k + 1) * each) for k in range(workers)]


class Shards:
    """Items handed to forked workers; `take(key)` gives a worker's answer for an item (None: do it yourself)."""

    def __init__(self, items: Sequence[Any], work: Callable[[Any], Any], processes: int,
                 key: Callable[[Any], str] = str) -> None:
        self._where: dict[str, tuple[int, int]] = {}  # only the workers' items: the caller's are its own
        self._workers: list[_Worker] = []
        try:
            for number, (start, end) in enumerate(worker_bounds(len(items), processes)):
                self._workers.append(_Worker.start(items[start:end], work))
                for position in range(start, end):
                    self._where[key(items[position])] = (number, position - start)
        except BaseException:
            self.close()
            raise

    def take(self, key: str) -> Any:
        """A worker's answer for the item of this key, waiting for the worker if it is not done; else None."""
        where = self._where.pop(key, None)
        if where is None:
            return None
        number, position = where
        answers = self._workers[number].answers()
        return None if answers is None else answers[position]

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
    """One forked process, the unnamed file it writes its answers to, and those answers once read."""

    def __init__(self, pid: int, spool: IO[bytes]) -> None:
        self.pid, self.spool = pid, spool
        self._answers: list[Any] | None = None
        self._done = False

    @classmethod
    def start(cls, items: Sequence[Any], work: Callable[[Any], Any]) -> _Worker:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by answers() or stop()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns of fork beside threads; the child touches none of their locks (see the module)
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except BaseException:
            spool.close()
            raise
        if pid == 0:  # pragma: no cover - the child; its effect is tested through `take`
            _child(spool.fileno(), items, work)
        return cls(pid, spool)

    def answers(self) -> list[Any] | None:
        """Everything the worker made, read on first call once it has exited; None if it failed."""
        if not self._done:
            self._done = True
            try:
                if self._reap(kill=False) == 0:
                    self._answers = _read_chunks(self.spool)
            except (OSError, ValueError, EOFError, TypeError):
                self._answers = None
            finally:
                self.spool.close()
        return self._answers

    def stop(self) -> None:
        self._reap(kill=True)
        self.spool.close()
        self._answers = None

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


def _read_chunks(spool: IO[bytes]) -> list[Any]:
    """The answers a worker wrote, chunk by chunk (each its length, then its marshal)."""
    spool.seek(0)
    answers: list[Any] = []
    while header := spool.read(LENGTH.size):
        (size,) = LENGTH.unpack(header)
        chunk = marshal.loads(spool.read(size))
        if not isinstance(chunk, list):
            raise ValueError("not a list of answers")
        answers.extend(chunk)
    return answers


def _child(spool: int, items: Sequence[Any], work: Callable[[Any], Any]) -> None:  # pragma: no cover - in the child
    """Do every item, write the answers a chunk at a time, and leave without running anything of the parent's."""
    status = 1
    try:
        for start in range(0, len(items), CHUNK):
            payload = marshal.dumps([work(item) for item in items[start:start + CHUNK]])
            view = memoryview(LENGTH.pack(len(payload)) + payload)
            while view:
                view = view[os.write(spool, view):]
        status = 0
    except BaseException:  # noqa: BLE001,S110 - any failure: the parent does these items itself
        pass
    finally:
        os._exit(status)
