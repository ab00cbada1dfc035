"""Real dumps leave fields out or null: no rule may crash on an object missing any field it reads."""

from __future__ import annotations

import contextlib
import copy
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from virt_doctor.rules.engine import evaluate
from virt_doctor.sources.dump import read_dump
from virt_doctor.sources.load import snapshot_of

EXAMPLE = Path(__file__).parents[2] / "examples" / "broken-cluster"


def _dict_paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a mapping key, through lists too (but only keys are ever removed)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield (*prefix, key)
            yield from _dict_paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _dict_paths(value, (*prefix, i))


def _remove_or_null(obj: dict[str, Any], path: tuple[Any, ...], null: bool) -> None:
    parent: Any = obj
    for key in path[:-1]:
        parent = parent[key]
    if null:
        parent[path[-1]] = None
    else:
        del parent[path[-1]]


@pytest.mark.parametrize("seed", range(6))
def test_no_rule_crashes_on_missing_or_null_fields(seed: int) -> None:
    raw = read_dump(EXAMPLE)
    rng = random.Random(seed)
    objects = copy.deepcopy(raw.objects)
    for obj in rng.sample(objects, min(len(objects), 600)):
        paths = [p for p in _dict_paths(obj) if p[0] not in ("apiVersion", "kind")]
        for path in rng.sample(paths, min(6, len(paths))):
            with contextlib.suppress(KeyError, TypeError, IndexError):  # an ancestor may be gone already
                _remove_or_null(obj, path, null=rng.random() < 0.5)
    raw.objects = objects
    snap = snapshot_of(raw, raw.collected_at)
    report = evaluate(snap)
    crashed = [f"{c.alert}: {c.reason}" for c in report.coverage if "internal error" in (c.reason or "")]
    assert not crashed, crashed
