"""YAML parsing for Kubernetes dumps: the fastest parser that reads them correctly, libyaml as the fallback.

yaml-rs (Rust) parses a must-gather roughly 3x faster than libyaml's CSafeLoader
(see benchmarks/scan_scale.py). Timestamps stay strings, as Kubernetes' own
decoder keeps them. Whatever yaml-rs refuses is re-read with CSafeLoader, whose
error carries the line number we report.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml

try:  # pragma: no cover - exercised by whichever is installed
    import yaml_rs

    _FAST: Any = yaml_rs
except ImportError:  # pragma: no cover
    _FAST = None

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KubeLoader(_BaseLoader):
    """Safe loader that leaves timestamps as strings, like Kubernetes' decoder."""


KubeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class YAMLParseError(ValueError):
    """A YAML document that cannot be parsed; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def parse_libyaml(text: str) -> list[Any]:
    """Every document of a YAML stream, with libyaml (the reference and fallback)."""
    try:
        return [doc for doc in yaml.load_all(text, Loader=KubeLoader) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YAMLParseError(str(problem), line) from exc


def parse_yaml(text: str) -> list[Any]:
    """Every document of a YAML stream, as plain Python values."""
    if _FAST is None:
        return parse_libyaml(text)
    try:
        result = _FAST.loads(
            text, parse_datetime=False, duplicate_key_policy=_FAST.DuplicateKeyPolicy.LastWins
        )
    except Exception:  # yaml-rs refuses: let libyaml decide, and name the line
        return parse_libyaml(text)
    if result is None:
        return []
    result = _share_keys(result)
    if isinstance(result, list) and _is_multi_document(text):
        return [doc for doc in result if doc is not None]
    return [result]


def _share_keys(document: Any) -> Any:
    """Rebuild the document through orjson, whose decoder shares key strings.

    yaml-rs allocates every key anew; across a 50k-VM dump that is a third of
    the memory. The round trip runs in C and costs less than it saves in
    allocation (benchmarks/scan_scale.py).
    """
    try:
        return orjson.loads(orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS))
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits: keep what yaml-rs made
        return document


def _is_multi_document(text: str) -> bool:
    """yaml-rs returns a list both for a stream of documents and for one list document."""
    return text.startswith("---") or "\n---" in text
