"""UnsupportedHCOModification: a JSON Patch annotation on the HyperConverged CR changes an operand."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.wording import counted

# annotation -> the operand HCO patches with it
JSONPATCH_TARGETS = {
    "kubevirt.kubevirt.io/jsonpatch": "KubeVirt",
    "containerizeddataimporter.kubevirt.io/jsonpatch": "CDI",
    "networkaddonsconfigs.kubevirt.io/jsonpatch": "NetworkAddonsConfig",
    "ssp.kubevirt.io/jsonpatch": "SSP",
}


@rule("UnsupportedHCOModification", needs=("HyperConverged",), causes=("jsonpatch-annotation", "unknown"))
def unsupported_hco_modification(snap: Snapshot) -> Iterator[Detection]:
    """One finding per JSON Patch annotation on a HyperConverged CR, naming the operand and each operation."""
    for hco in snap.kind("HyperConverged"):
        for annotation, target in JSONPATCH_TARGETS.items():
            value = a.annotations(hco).get(annotation)
            if value is None:
                continue
            try:
                operations = orjson.loads(value)
            except orjson.JSONDecodeError:
                operations = None
            evidence = [Evidence(object=a.ref(hco), path=f"metadata.annotations[{annotation}]",
                                 value=value[:300], note=f"patches the {target} operand")]
            if isinstance(operations, list):
                evidence += [Evidence(object=f"{target} (operand)", path=str(op.get("path")),
                                      value=op.get("value"), note=f"JSON Patch {op.get('op')}")
                             for op in operations if isinstance(op, dict)]
                what = counted(len(operations), "operation")
            else:
                what = "a patch that is not valid JSON"
            yield Detection(Subject("HyperConverged", a.namespace(hco), a.name(hco)), "jsonpatch-annotation",
                            f"{annotation} applies {what} to {target} behind HCO's back", evidence=tuple(evidence),
                            params={"hco-namespace": a.namespace(hco), "annotation": annotation},
                            labels={"annotation_name": annotation})
