"""What a source looked at: for each kind, where it was listed, refused or failed — so absence can be evidence.

A must-gather inspects some namespaces and not others; a live scan may be refused a kind. A kind counts
as *listed* in a namespace only when the source read its list there (an empty list included); listed
under the namespace "" it was listed everywhere (a cluster-scoped kind, or a namespaced kind across all
namespaces). Anything else is unknown, and "none exist" may not be said of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

LISTED = "listed"
FORBIDDEN = "forbidden"
FAILED = "failed"

EVERYWHERE = ""  # the namespace key of a cluster-wide listing


class Scope(NamedTuple):
    """A kind in one namespace ('' for cluster-wide)."""

    kind: str
    namespace: str

    def describe(self) -> str:
        return f"{self.kind} in namespace {self.namespace}" if self.namespace else f"{self.kind} (cluster-wide)"


@dataclass(frozen=True)
class Seen:
    """Per (kind, namespace): listed, forbidden or failed, with a reason; missing means never attempted."""

    scopes: Mapping[Scope, str] = field(default_factory=dict)
    reasons: Mapping[Scope, str] = field(default_factory=dict)
    inspected: frozenset[str] = frozenset()  # namespaces whose tree a dump holds
    source: str = "the source"
    selected: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> selectors it was listed by

    @classmethod
    def everywhere(cls, kinds: Iterable[str], source: str = "the source") -> Seen:
        """Every kind listed cluster-wide: a source that saw all of it (a simulator, a complete live scan)."""
        return cls({Scope(kind, EVERYWHERE): LISTED for kind in kinds}, source=source)

    def listed(self, kind: str, namespace: str = EVERYWHERE) -> bool:
        """Whether `kind` was listed in `namespace` (or everywhere): only then is its absence there a fact."""
        if self.scopes.get(Scope(kind, EVERYWHERE)) == LISTED:
            return True
        return bool(namespace) and self.scopes.get(Scope(kind, namespace)) == LISTED

    def listed_anywhere(self, kind: str) -> bool:
        """Whether `kind` was listed in at least one scope (or by a selector: what is there is all there, though
        its absence is nowhere a fact)."""
        return kind in self.selected or any(state == LISTED for scope, state in self.scopes.items() if scope.kind == kind)

    def listed_namespaces(self, kind: str) -> frozenset[str]:
        """The namespaces `kind` was listed in ('' when listed everywhere)."""
        return frozenset(s.namespace for s, state in self.scopes.items() if s.kind == kind and state == LISTED)

    def why_unseen(self, kind: str, namespace: str = EVERYWHERE) -> str:
        """One line saying why `kind` in `namespace` cannot be told: not collected, forbidden or failed."""
        for scope in (Scope(kind, namespace), Scope(kind, EVERYWHERE)):
            state = self.scopes.get(scope)
            if state in (FORBIDDEN, FAILED):
                reason = self.reasons.get(scope, "")
                return f"{scope.describe()} could not be listed ({state}{': ' + reason if reason else ''})"
        where = Scope(kind, namespace).describe()
        if namespace and self.inspected and namespace not in self.inspected:
            return f"{where} was not seen: {self.source} did not inspect that namespace"
        return f"{where} was not seen: {self.source} holds no list of it"
