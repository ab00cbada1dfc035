"""KubeVirtCRModified: an HCO operand was changed by something other than HCO."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import CannotEvaluate, Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.metrics import holding, metric_evidence, objects_cannot_tell
from virt_doctor.wording import counted

# HyperConverged spec field -> where HCO writes it in the KubeVirt CR
KUBEVIRT_MIRRORS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("workloadUpdateStrategy",), ("workloadUpdateStrategy",)),
    (("liveMigrationConfig", "parallelMigrationsPerCluster"), ("configuration", "migrations", "parallelMigrationsPerCluster")),
    (("liveMigrationConfig", "parallelOutboundMigrationsPerNode"),
     ("configuration", "migrations", "parallelOutboundMigrationsPerNode")),
    (("liveMigrationConfig", "completionTimeoutPerGiB"), ("configuration", "migrations", "completionTimeoutPerGiB")),
    (("liveMigrationConfig", "progressTimeout"), ("configuration", "migrations", "progressTimeout")),
    (("liveMigrationConfig", "allowPostCopy"), ("configuration", "migrations", "allowPostCopy")),
    (("liveMigrationConfig", "allowAutoConverge"), ("configuration", "migrations", "allowAutoConverge")),
    (("workloads", "nodePlacement"), ("workloads", "nodePlacement")),
)
MISSING = object()


def dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return MISSING
        data = data[key]
    return data


# HCO's component_name label (`<kind>/<name>`, lower case) -> the operand's kind
OPERAND_KINDS = {"kubevirt": "KubeVirt", "cdi": "CDI", "networkaddonsconfig": "NetworkAddonsConfig", "ssp": "SSP",
                 "hostpathprovisioner": "HostPathProvisioner"}


def operand_subject(snap: Snapshot, component: str) -> Subject:
    """The operand a `component_name` label names, in its namespace where the source holds it."""
    kind, _, name = component.partition("/")
    kind = OPERAND_KINDS.get(kind.lower(), kind)
    found = next((o for o in snap.kind(kind) if a.name(o) == name), None)
    return Subject(kind, a.namespace(found) if found is not None else "", name or component)


# upstream's rule: an increase within 10 minutes, or a counter that appeared non-zero within them (a new series'
# first modification, which increase() alone cannot see with one sample)
COUNTER = "kubevirt_hco_out_of_band_modifications_total"
CONDITION = (f"sum by (component_name) ((round(increase({COUNTER}[10m])) > 0 and {COUNTER} offset 10m) "
             f"or ({COUNTER} != 0 unless {COUNTER} offset 10m))")


@rule("KubeVirtCRModified", reads=("HyperConverged", "KubeVirt"), causes=("operand-edited", "unknown"), queries={"condition": CONDITION},
      metrics_optional=True)
def kube_virt_cr_modified(snap: Snapshot) -> Iterator[Detection]:
    """HCO counted out-of-band edits of an operand in the last 10 minutes, or the KubeVirt CR differs from HCO's ask."""
    edited = holding(snap, "KubeVirtCRModified")
    for series, since in edited:
        component = series.labels.get("component_name", "")
        yield Detection(operand_subject(snap, component),
                        "operand-edited", f"{counted(max(1, round(series.last)), 'out-of-band change')} of {component} "
                        "in the last 10 minutes, which HCO reverted", since=since,
                        evidence=(metric_evidence("kubevirt_hco_out_of_band_modifications_total increase (10m)",
                                                  series),), labels={"component_name": component})
    if edited:
        return
    if not (snap.kind("HyperConverged") and snap.kind("KubeVirt")):
        objects_cannot_tell(snap, "no HyperConverged and KubeVirt CRs in the source")
        return
    hco = snap.kind("HyperConverged")[0]
    kubevirt = next((k for k in snap.kind("KubeVirt") if a.namespace(k) == a.namespace(hco)), None)
    if kubevirt is None:
        raise CannotEvaluate("no KubeVirt CR beside the HyperConverged CR in the source")
    compared, differences = 0, []
    for hco_path, kv_path in KUBEVIRT_MIRRORS:
        wanted = dig(a.spec(hco), hco_path)
        if wanted is MISSING:
            continue
        compared += 1
        actual = dig(a.spec(kubevirt), kv_path)
        if actual != wanted:
            differences.append((hco_path, kv_path, wanted, actual))
    if not compared:
        raise CannotEvaluate("the HyperConverged CR sets none of the fields virt-doctor compares; "
                             "needs Prometheus (kubevirt_hco_out_of_band_modifications_total)")
    if not differences:
        return
    evidence = []
    for hco_path, kv_path, wanted, actual in differences:
        evidence.append(Evidence(object=a.ref(kubevirt), path="spec." + ".".join(kv_path),
                                 value="(not set)" if actual is MISSING else actual,
                                 note=f"HyperConverged spec.{'.'.join(hco_path)} asks for {wanted}"))
    yield Detection(Subject("KubeVirt", a.namespace(kubevirt), a.name(kubevirt)), "operand-edited",
                    f"the KubeVirt CR differs from the HyperConverged CR in {counted(len(differences), 'field')} "
                    "HCO owns: "
                    "someone edited the operand directly", evidence=tuple(evidence),
                    params={"hco-namespace": a.namespace(hco), "kubevirt-namespace": a.namespace(kubevirt)},
                    labels={"component_name": f"kubevirt/{a.name(kubevirt)}"})
