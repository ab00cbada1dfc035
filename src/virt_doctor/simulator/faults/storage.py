"""Storage faults: default classes and profiles, DataImportCrons, CDI importer pods, RBD for Windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster, component_log
from virt_doctor.simulator.faults.registry import fault
from virt_doctor.simulator.faults.targets import pick_vm
from virt_doctor.simulator.objects import condition, meta, storage_class, storage_profile, ts
from virt_doctor.simulator.operators import OS_IMAGES_NS
from virt_doctor.simulator.vms import build_vm

Obj = dict[str, Any]


def _add_class(cluster: Cluster, name: str, provisioner: str, profile_status: dict[str, Any], **kwargs: Any) -> Obj:
    created = cluster.at - timedelta(days=1)
    sc = storage_class(cluster.ids, name, provisioner, created, **kwargs)
    profile = storage_profile(cluster.ids, sc, created)
    profile["status"].update(profile_status)
    cluster.infra += [sc, profile]
    return sc


def _demote_virt_default(cluster: Cluster) -> None:
    for sc in cluster.find_kind("StorageClass"):
        sc["metadata"].get("annotations", {}).pop("storageclass.kubevirt.io/is-default-virt-class", None)


@fault("default-sc-no-rwx", "CDIDefaultStorageClassDegraded", "no-readwritemany",
       "the default virtualization class is a local LVM class without ReadWriteMany")
def default_sc_no_rwx(cluster: Cluster, since: datetime) -> None:
    _demote_virt_default(cluster)
    sc = _add_class(cluster, "lvms-vg1", "topolvm.io", {
        "cloneStrategy": "snapshot",
        "claimPropertySets": [{"accessModes": ["ReadWriteOnce"], "volumeMode": "Block"},
                              {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem"}]}, virt_default=True)
    cluster.infra.append({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
                          "metadata": meta(cluster.ids, "lvms-vg1", None, since), "driver": "topolvm.io",
                          "deletionPolicy": "Delete"})
    cluster.note("default-sc-no-rwx", "CDIDefaultStorageClassDegraded", "no-readwritemany", sc, "lvms-vg1 is RWO only")


@fault("default-sc-no-smart-clone", "CDIDefaultStorageClassDegraded", "no-smart-clone",
       "the default virtualization class is an NFS class that can only copy")
def default_sc_no_smart_clone(cluster: Cluster, since: datetime) -> None:
    _demote_virt_default(cluster)
    sc = _add_class(cluster, "nfs-virt", "nfs.csi.k8s.io", {
        "cloneStrategy": "copy",
        "claimPropertySets": [{"accessModes": ["ReadWriteMany"], "volumeMode": "Filesystem"}]}, virt_default=True)
    cluster.note("default-sc-no-smart-clone", "CDIDefaultStorageClassDegraded", "no-smart-clone", sc, "copy only")


@fault("multiple-default-virt-sc", "CDIMultipleDefaultVirtStorageClasses", "several-defaults",
       "a second storage class was marked as the default for virtualization")
def multiple_default_virt_sc(cluster: Cluster, since: datetime) -> None:
    sc = _add_class(cluster, "lvms-vg1", "topolvm.io", {
        "claimPropertySets": [{"accessModes": ["ReadWriteOnce"], "volumeMode": "Block"}]}, virt_default=True)
    sc["metadata"]["creationTimestamp"] = ts(since)
    cluster.note("multiple-default-virt-sc", "CDIMultipleDefaultVirtStorageClasses", "several-defaults", sc,
                 "lvms-vg1 is a second default virt class")


@fault("storage-profile-incomplete", "CDIStorageProfilesIncomplete", "unknown-provisioner",
       "a storage class whose provisioner CDI does not know has an empty StorageProfile")
def storage_profile_incomplete(cluster: Cluster, since: datetime) -> None:
    _add_class(cluster, "nfs-client", "example.com/nfs-subdir-external-provisioner",
               {"cloneStrategy": "copy", "claimPropertySets": []})
    profile = cluster.find("StorageProfile", "nfs-client")
    profile["status"].pop("claimPropertySets")
    cluster.note("storage-profile-incomplete", "CDIStorageProfilesIncomplete", "unknown-provisioner", profile,
                 "nfs-client profile has no claim property sets")


def _cron(cluster: Cluster) -> Obj:
    return cluster.find_kind("DataImportCron")[0]


def _outdate(cron: Obj, since: datetime, reason: str, message: str) -> None:
    cron["status"]["conditions"] = [
        condition("Progressing", "True" if reason == "ImportProgressing" else "False", since, reason, message,
                  heartbeat=since),
        condition("UpToDate", "False", since, reason, message, heartbeat=since)]


@fault("cron-import-failing", "CDIDataImportCronOutdated", "import-failing",
       "a DataImportCron's new import keeps failing: the registry answers 404 for the new digest")
def cron_import_failing(cluster: Cluster, since: datetime) -> None:
    cron = _cron(cluster)
    dv_name = f"{cron['spec']['managedDataSource']}-0badd16e57"
    cron["status"]["currentImports"] = [{"DataVolumeName": dv_name, "Digest": "sha256:0badd16e57" + "0" * 54}]
    _outdate(cron, since, "ImportProgressing", "Import is progressing")
    cluster.infra.append({
        "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume",
        "metadata": meta(cluster.ids, dv_name, OS_IMAGES_NS, since,
                         {"cdi.kubevirt.io/dataImportCron": cron["metadata"]["name"]}),
        "spec": {"source": {"registry": {"url": "docker://quay.io/containerdisks/fedora@sha256:0badd16e57"}},
                 "storage": {"storageClassName": "ocs-storagecluster-ceph-rbd-virtualization"}},
        "status": {"phase": "ImportInProgress", "restartCount": 6, "progress": "N/A", "conditions": [
            condition("Bound", "True", since, "Bound", heartbeat=cluster.at),
            condition("Ready", "False", since, "TransferRunning", heartbeat=cluster.at),
            condition("Running", "False", since + timedelta(minutes=1), "Error",
                      "Unable to process data: manifest unknown: the digest was not found in the registry",
                      heartbeat=cluster.at)]}})
    cluster.note("cron-import-failing", "CDIDataImportCronOutdated", "import-failing", cron, f"{dv_name} fails")


@fault("cron-registry-unreachable", "CDIDataImportCronOutdated", "registry-unreachable",
       "a DataImportCron cannot read its image digest (restricted network)")
def cron_registry_unreachable(cluster: Cluster, since: datetime) -> None:
    cron = _cron(cluster)
    _outdate(cron, since, "NoDigest", "No source digest")
    cluster.note("cron-registry-unreachable", "CDIDataImportCronOutdated", "registry-unreachable", cron, "NoDigest")


@fault("cron-storage-class-missing", "CDIDataImportCronOutdated", "storage-class-missing",
       "a DataImportCron imports into a storage class that was deleted")
def cron_storage_class_missing(cluster: Cluster, since: datetime) -> None:
    cron = _cron(cluster)
    cron["spec"]["template"]["spec"]["storage"]["storageClassName"] = "fast-ssd"
    cron["metadata"]["annotations"]["cdi.kubevirt.io/storage.import.storageClass"] = "fast-ssd"
    _outdate(cron, since, "ImportProgressing", "Import is progressing")
    cluster.note("cron-storage-class-missing", "CDIDataImportCronOutdated", "storage-class-missing", cron,
                 "storage class fast-ssd does not exist")


def _importer(cluster: Cluster, since: datetime, fault_name: str, cause: str, reason: str, message: str,
              log: list[tuple[str, str]]) -> None:
    vmset = pick_vm(cluster)
    ns, name = vmset.key
    dv_name = f"{name}-rootdisk"
    from virt_doctor.simulator.objects import meta, running_pod

    # CDI's populator: a temporary 'prime' PVC named after the target PVC's UID, owned by the target PVC;
    # its importer pod is named after the prime PVC and owned by it.
    target_uid = vmset.pvc["metadata"]["uid"] if vmset.pvc is not None else cluster.ids.uid()
    target = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": dv_name, "uid": target_uid}}
    prime = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": meta(cluster.ids, f"prime-{target_uid}", ns, since, {"app": "containerized-data-importer"},
                              None, target),
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "30Gi"}}},
             "status": {"phase": "Bound"}}
    cluster.extra.append(prime)
    owner = prime
    pod = running_pod(cluster.ids, f"importer-prime-{target_uid}", ns, vmset.node, since,
                      {"app": "containerized-data-importer", "app.kubernetes.io/component": "storage",
                       "cdi.kubevirt.io": "importer"},
                      [{"name": "importer", "image": "quay.io/kubevirt/cdi-importer:v1.61.1"}], owner=owner)
    podstate.crash_loop(pod, "importer", since, cluster.at, exit_code=137 if reason == "OOMKilled" else 1,
                        reason=reason, restarts=5)
    pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["message"] = message
    cluster.extra.append(pod)
    cluster.log(pod, "importer", "previous", component_log("importer", cluster.at, log))
    if vmset.dv is not None:
        vmset.dv["status"]["restartCount"] = 5
    cluster.note(fault_name, "CDIDataVolumeUnusualRestartCount", cause, pod, f"importer for {dv_name} restarts")


@fault("importer-404", "CDIDataVolumeUnusualRestartCount", "source-unreachable",
       "a DataVolume's importer pod keeps restarting: its HTTP source answers 404")
def importer_404(cluster: Cluster, since: datetime) -> None:
    _importer(cluster, since, "importer-404", "source-unreachable", "Error",
              "Unable to connect to http data source: expected status code 200, got 404. Status: 404 Not Found",
              [("info", "Validating image"), ("error", "Unable to connect to http data source: expected status code "
                                                       "200, got 404. Status: 404 Not Found")])


@fault("importer-no-space", "CDIDataVolumeUnusualRestartCount", "storage-full",
       "a DataVolume's importer pod keeps restarting: the target volume is too small")
def importer_no_space(cluster: Cluster, since: datetime) -> None:
    _importer(cluster, since, "importer-no-space", "storage-full", "Error",
              "Unable to process data: write /data/disk.img: no space left on device",
              [("error", "Unable to process data: write /data/disk.img: no space left on device")])


@fault("importer-oom", "CDIDataVolumeUnusualRestartCount", "oom-killed",
       "a DataVolume's importer pod is OOM-killed while converting the image")
def importer_oom(cluster: Cluster, since: datetime) -> None:
    _importer(cluster, since, "importer-oom", "oom-killed", "OOMKilled", "", [("info", "Converting image to raw")])


@fault("windows-rbd-no-rxbounce", "VMStorageClassWarning", "rbd-without-rxbounce",
       "a running Windows VM's disk is on an RBD class without krbd:rxbounce")
def windows_rbd_no_rxbounce(cluster: Cluster, since: datetime) -> None:
    neighbour = pick_vm(cluster)
    namespace = neighbour.vm["metadata"]["namespace"]
    vmset = build_vm(cluster.ids, namespace, f"win2k22-{len(cluster.vms):05d}", "windows2k22", neighbour.node,
                     since - timedelta(minutes=3), "ocs-storagecluster-ceph-rbd", memory="8Gi")
    vm = vmset.vm
    vm["metadata"]["labels"]["os.template.kubevirt.io/win2k22"] = "true"
    vm["spec"]["template"]["metadata"].setdefault("annotations", {})["vm.kubevirt.io/os"] = "windows2k22"
    cluster.vms.append(vmset)
    cluster.note("windows-rbd-no-rxbounce", "VMStorageClassWarning", "rbd-without-rxbounce", vm,
                 "Windows VM on ocs-storagecluster-ceph-rbd (no rxbounce)")
