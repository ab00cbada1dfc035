"""The rule registry: alert name -> a pure function of the Snapshot, with what it needs to run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from virt_doctor.rules.detection import Detection, NotSeen
from virt_doctor.snapshot import Snapshot

RuleFn = Callable[[Snapshot], Iterable[Detection | NotSeen]]
F = TypeVar("F", bound=RuleFn)

# Where a rule reads a kind:
# - CLUSTER: wherever the source has it; as a need, the source must hold some of it or have listed it somewhere
#   (a rule that looks at each object it is given);
# - ALL: every object of the kind; as a need, the kind must have been listed cluster-wide (a rule whose verdict
#   rests on what is not there: "no default class", "fewer than two KVM nodes");
# - an install namespace by its placeholder (kubevirt-namespace, cdi-namespace, ...): as a need, the kind must
#   have been listed there ("no virt-api pod is running");
# - SUBJECT: the namespace of each subject, which the rule checks itself (snap.lookup / snap.absent).
CLUSTER = "cluster"
ALL = "all"
SUBJECT = "subject"
INSTALL_SCOPES = ("kubevirt-namespace", "cdi-namespace", "hco-namespace", "cnao-namespace", "ssp-namespace",
                  "hpp-namespace")


class Read(NamedTuple):
    """A kind a rule reads, and where."""

    kind: str
    scope: str = CLUSTER

    def __str__(self) -> str:
        return self.kind if self.scope == CLUSTER else f"{self.kind}@{self.scope}"


ReadLike = Read | str


def reads_of(items: Iterable[ReadLike]) -> tuple[Read, ...]:
    """Declarations as Read values ('Pod' means Read('Pod', CLUSTER); 'Pod@kubevirt-namespace' names a scope)."""
    out = []
    for item in items:
        if isinstance(item, Read):
            out.append(item)
        else:
            kind, _, scope = item.partition("@")
            if scope and scope not in (CLUSTER, ALL, SUBJECT, *INSTALL_SCOPES):
                raise ValueError(f"unknown read scope {scope!r} in {item!r}")
            out.append(Read(kind, scope or CLUSTER))
    return tuple(out)


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule: the alert it detects, what it reads, the causes it may name.

    `needs`: reads it cannot do without; when one of them was not seen, the alert is skipped with the
    reason. `reads`: what else it reads (events, nodes, logs' pods); a cause resting on their absence is
    named only where the absence was seen. A test holds the declarations to the reads.
    """

    alert: str
    fn: RuleFn
    needs: tuple[Read, ...]
    causes: tuple[str, ...]
    module: str
    queries: Mapping[str, str] = field(default_factory=dict)  # PromQL by name; "condition" is the alert's expr
    metrics_optional: bool = False  # True: the rule also works from objects alone
    reads: tuple[Read, ...] = ()
    focus: tuple[str, ...] = ()  # the alert labels that bound one instance's reads ("namespace", "node")
    threshold: tuple[str, float] | None = None  # (comparison, number) upstream's rule compares with

    @property
    def declared(self) -> tuple[Read, ...]:
        return self.needs + self.reads


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


def rule(alert: str, *, needs: Iterable[ReadLike] = (), reads: Iterable[ReadLike] = (),
         causes: tuple[str, ...] = (), queries: Mapping[str, str] | None = None, metrics_optional: bool = False,
         focus: tuple[str, ...] = (), threshold: tuple[str, float] | None = None,
         registry: Registry | None = None) -> Callable[[F], F]:
    """Register a rule function for an alert; the function is returned unchanged.

    `queries` are PromQL the rule needs answered (the source runs them before the
    rules, at the evaluation time); "condition" is the alert's own expression.
    `focus`: the alert's labels that bound what one instance's verdict rests on — "namespace" (the subject and
    everything its verdict reads are in the alert's namespace, or cluster-scoped, or in the install namespaces),
    "node" (its objects on other nodes do not change the verdict for the alert's node). A diagnosis of one
    instance lists only that much (sources/live/focus.py).
    `threshold`: the comparison and number upstream's rule fires at (">=", 200); a cluster whose own rule sets
    another number is evaluated with it (the rule asks rules/definitions.threshold_of), and the drift reported.
    """
    unknown = set(focus) - {"namespace", "node"}
    if unknown:
        raise ValueError(f"{alert}: unknown focus {sorted(unknown)}")
    def decorate(fn: F) -> F:
        (registry or REGISTRY).register(RuleSpec(alert, fn, reads_of(needs), tuple(causes), fn.__module__,
                                                 dict(queries or {}), metrics_optional,
                                                 reads_of((*reads, *(("PrometheusRule",) if threshold else ()))),
                                                 tuple(focus), threshold))
        return fn
    return decorate
