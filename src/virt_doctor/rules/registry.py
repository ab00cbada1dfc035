"""The rule registry: alert name -> a pure function of the Snapshot, with what it needs to run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from virt_doctor.rules.detection import Detection
from virt_doctor.snapshot import Snapshot

RuleFn = Callable[[Snapshot], Iterable[Detection]]
F = TypeVar("F", bound=RuleFn)


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule: the alert it detects, the kinds it cannot do without, the causes it may name."""

    alert: str
    fn: RuleFn
    needs: tuple[str, ...]
    causes: tuple[str, ...]
    module: str
    queries: Mapping[str, str] = field(default_factory=dict)  # PromQL by name; "condition" is the alert's expr
    metrics_optional: bool = False  # True: the rule also works from objects alone


@dataclass
class Registry:
    """Alert name -> RuleSpec. Registering an alert twice is a bug and raises."""

    rules: dict[str, RuleSpec] = field(default_factory=dict)

    def register(self, spec: RuleSpec) -> None:
        if spec.alert in self.rules:
            raise ValueError(f"rule for {spec.alert} registered twice ({self.rules[spec.alert].module}, {spec.module})")
        self.rules[spec.alert] = spec

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self.rules.values(), key=lambda s: s.alert))

    def get(self, alert: str) -> RuleSpec | None:
        return self.rules.get(alert)


REGISTRY = Registry()


def rule(alert: str, *, needs: tuple[str, ...] = (), causes: tuple[str, ...] = (),
         queries: Mapping[str, str] | None = None, metrics_optional: bool = False,
         registry: Registry | None = None) -> Callable[[F], F]:
    """Register a rule function for an alert; the function is returned unchanged.

    `queries` are PromQL the rule needs answered (the source runs them before the
    rules, at the evaluation time); "condition" is the alert's own expression.
    """
    def decorate(fn: F) -> F:
        (registry or REGISTRY).register(RuleSpec(alert, fn, tuple(needs), tuple(causes), fn.__module__,
                                                 dict(queries or {}), metrics_optional))
        return fn
    return decorate
