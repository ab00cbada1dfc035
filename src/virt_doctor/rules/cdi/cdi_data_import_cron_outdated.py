"""CDIDataImportCronOutdated: a DataImportCron's latest import is outdated and not pending."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from virt_doctor.rules.api import Detection, Evidence, Snapshot, Subject, a, rule
from virt_doctor.rules.diagnose.evidence import cond_evidence, event_evidence, field
from virt_doctor.rules.diagnose.storage import default_class, dv_storage_class

RECORDED_SC = "cdi.kubevirt.io/storage.import.storageClass"
REGISTRY_REASONS = ("NoDigest", "NotAuthorized")


def cron_storage_class(cron: dict[str, Any]) -> str:
    """The class the cron imports into: the one CDI recorded, else the one its template names."""
    return a.annotations(cron).get(RECORDED_SC) or dv_storage_class({"spec": (a.spec(cron).get("template") or {})
                                                                      .get("spec") or {}})


@rule("CDIDataImportCronOutdated", focus=("namespace",), needs=("DataImportCron", "StorageClass@all"), reads=("DataVolume", "Event"),
      causes=("storage-class-missing", "import-failing", "registry-unreachable", "unknown"))
def cdi_data_import_cron_outdated(snap: Snapshot) -> Iterator[Detection]:
    """UpToDate is not True, and the import is not merely pending for a default storage class."""
    for cron in snap.kind("DataImportCron"):
        up_to_date = a.condition(cron, "UpToDate")
        if up_to_date is None or up_to_date.get("status") == "True":
            continue
        storage_class = cron_storage_class(cron)
        if not storage_class and default_class(snap) is None:
            continue  # pending: CDINoDefaultStorageClass fires instead
        yield diagnose(snap, cron, up_to_date, storage_class)


def diagnose(snap: Snapshot, cron: dict[str, Any], up_to_date: dict[str, Any], storage_class: str) -> Detection:
    ns, name = a.namespace(cron), a.name(cron)
    base = [cond_evidence(cron, up_to_date)]
    head = f"DataImportCron {ns}/{name} is not up to date ({up_to_date.get('reason') or 'no reason'})"
    subject = Subject("DataImportCron", ns, name)
    params = {"namespace": ns, "dataimportcron": name}
    imports = a.status(cron).get("currentImports") or []
    dv_name = (imports[-1].get("DataVolumeName") if imports else None) or \
        ((a.status(cron).get("lastImportedPVC") or {}).get("name"))
    if dv_name:
        params["dv"] = str(dv_name)
    since = a.transitioned(up_to_date)
    if up_to_date.get("reason") in REGISTRY_REASONS:
        url = ((((a.spec(cron).get("template") or {}).get("spec") or {}).get("source") or {}).get("registry") or {})
        return Detection(subject, "registry-unreachable", f"{head}: it cannot read the image digest from "
                         f"{url.get('url', 'its registry')}", since=since, evidence=tuple(base), params=params)
    if storage_class and snap.absent("StorageClass", "", storage_class):
        return Detection(subject, "storage-class-missing", f"{head}: storage class {storage_class} does not exist",
                         since=since, params={**params, "storage-class": (a.name(default_class(snap) or {}) or
                                                                          "<storage-class>")},
                         evidence=tuple(base + [Evidence(object=f"StorageClass/{storage_class}",
                                                         note="named by the cron, not found")]))
    dv = snap.get("DataVolume", ns, str(dv_name)) if dv_name else None
    if dv is not None and (a.status(dv).get("phase") != "Succeeded"):
        params["dv"] = a.name(dv)
        evidence = base + [field(dv, "status.phase", a.status(dv).get("phase"))]
        running = a.condition(dv, "Running")
        if running is not None and running.get("status") == "False" and running.get("reason") not in (None, "Completed"):
            evidence.append(cond_evidence(dv, running))
        if a.status(dv).get("restartCount"):
            evidence.append(field(dv, "status.restartCount", a.status(dv)["restartCount"]))
        evidence += [event_evidence(e) for e in snap.events_for(dv)[-2:] if e.get("type") == "Warning"]
        return Detection(subject, "import-failing", f"{head}: its import into DataVolume {a.name(dv)} is "
                         f"{a.status(dv).get('phase') or 'not progressing'}", since=since, evidence=tuple(evidence),
                         params=params)
    return Detection(subject, "unknown", head, since=since, evidence=tuple(base), params=params,
                     checked=("UpToDate reason", "storage class", "the cron's DataVolume"))
