"""HCOGoldenImageWithNoSupportedArchitecture: a golden image is built for architectures no workload node has."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import cond_evidence
from virt_doctor.rules.diagnose.golden_images import (
    cron_templates,
    multi_arch_enabled,
    template_data_source,
    template_name,
    workload_architectures,
)


@rule("HCOGoldenImageWithNoSupportedArchitecture", needs=("HyperConverged",), reads=("Node@all",),
      causes=("no-node-of-its-architectures", "unknown"))
def hco_golden_image_with_no_supported_architecture(snap: Snapshot) -> Iterator[Detection]:
    """HCO marks the template not Deployed: none of its architectures is among the workload nodes'."""
    for hco in snap.kind("HyperConverged"):
        if not multi_arch_enabled(hco):
            continue
        arches = workload_architectures(snap, hco) if snap.listed("Node") else None
        for index, template in enumerate(cron_templates(hco)):
            status = template.get("status") or {}
            deployed = next((c for c in status.get("conditions") or [] if c.get("type") == "Deployed"), None)
            if deployed is None or str(deployed.get("status")) != "False":
                continue
            name = template_name(template)
            supported = str(status.get("originalSupportedArchitectures") or "")
            evidence = [cond_evidence(hco, deployed, f"status.dataImportCronTemplates[{index}] ({name})"),
                        Evidence(object=a.ref(hco), path=f"status.dataImportCronTemplates[{index}].status"
                                 ".originalSupportedArchitectures", value=supported or None)]
            cause = "unknown"
            if arches is not None:
                evidence.append(Evidence(object="Node (workload nodes)", path="status.nodeInfo.architecture",
                                         value=", ".join(sorted(arches)) or None))
                if supported and not set(supported.split(",")) & set(arches):
                    cause = "no-node-of-its-architectures"
            yield Detection(Subject("HyperConverged", a.namespace(hco), a.name(hco)), cause,
                            f"golden image {name} (DataSource {template_data_source(template)}) supports "
                            f"{supported or 'no listed architecture'}, which no node VMs run on has: it is not "
                            "imported", labels={"data_import_cron_name": name},
                            params={"hco-namespace": a.namespace(hco), "template": name}, evidence=tuple(evidence))
