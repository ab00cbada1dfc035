"""HCOGoldenImageWithNoArchitectureAnnotation: with multi-arch boot images on, a golden image names no
architectures."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.golden_images import (
    ARCH_ANNOTATION,
    cron_templates,
    multi_arch_enabled,
    template_data_source,
    template_name,
)


@rule("HCOGoldenImageWithNoArchitectureAnnotation", needs=("HyperConverged",),
      causes=("custom-template-without-annotation", "unknown"))
def hco_golden_image_with_no_architecture_annotation(snap: Snapshot) -> Iterator[Detection]:
    """Each DataImportCronTemplate HCO reports without the architectures its image supports."""
    for hco in snap.kind("HyperConverged"):
        if not multi_arch_enabled(hco):
            continue
        for index, template in enumerate(cron_templates(hco)):
            status = template.get("status") or {}
            if status.get("originalSupportedArchitectures"):
                continue
            name = template_name(template)
            common = bool(status.get("commonTemplate"))
            yield Detection(Subject("HyperConverged", a.namespace(hco), a.name(hco)),
                            "unknown" if common else "custom-template-without-annotation",
                            f"golden image {name} (DataSource {template_data_source(template)}) does not say which "
                            f"architectures its image supports ({ARCH_ANNOTATION}); VMs booted from it on another "
                            "architecture may fail", labels={"data_import_cron_name": name},
                            params={"hco-namespace": a.namespace(hco), "template": name},
                            evidence=(Evidence(object=a.ref(hco),
                                               path=f"status.dataImportCronTemplates[{index}].status"
                                                    ".originalSupportedArchitectures",
                                               value=None, note=("a common template" if common else
                                                                 "a custom template from spec.dataImportCronTemplates")),))
