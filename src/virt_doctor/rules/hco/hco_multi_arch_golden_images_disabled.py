"""HCOMultiArchGoldenImagesDisabled: workload nodes of several architectures, multi-arch boot images off."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.golden_images import (
    FEATURE,
    cron_templates,
    multi_arch_enabled,
    workload_architectures,
)


@rule("HCOMultiArchGoldenImagesDisabled", needs=("HyperConverged", "Node@all"), causes=("feature-disabled", "unknown"))
def hco_multi_arch_golden_images_disabled(snap: Snapshot) -> Iterator[Detection]:
    """HCO has golden images and the VMs' nodes have several architectures, but boot images come in one."""
    for hco in snap.kind("HyperConverged"):
        arches = workload_architectures(snap, hco)
        if len(arches) <= 1 or not cron_templates(hco) or multi_arch_enabled(hco):
            continue
        listed = "; ".join(f"{arch}: {', '.join(sorted(nodes)[:3])}{' …' if len(nodes) > 3 else ''}"
                           for arch, nodes in sorted(arches.items()))
        yield Detection(Subject("HyperConverged", a.namespace(hco), a.name(hco)), "feature-disabled",
                        f"the nodes VMs run on have {len(arches)} architectures ({', '.join(sorted(arches))}) but "
                        f"{FEATURE} is off: golden images are imported for one of them only",
                        params={"hco-namespace": a.namespace(hco)},
                        evidence=(Evidence(object="Node (workload nodes)", path="status.nodeInfo.architecture",
                                           value=", ".join(sorted(arches)), note=listed),
                                  Evidence(object=a.ref(hco), path=f"spec.featureGates.{FEATURE}", value=False,
                                           note=f"{len(cron_templates(hco))} golden images in status.dataImportCronTemplates")))
