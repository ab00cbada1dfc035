"""Faults in the platform around the VMs: operator CRs, leases, storage classes, nodes, HCO, migrations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson

from virt_doctor.simulator import podstate
from virt_doctor.simulator.cluster import Cluster, component_log
from virt_doctor.simulator.faults import cordon, fault, pick_vm, pick_worker
from virt_doctor.simulator.faults_components import _crash, _unavailable
from virt_doctor.simulator.metrics import after, constant
from virt_doctor.simulator.objects import condition, event, meta, storage_class, storage_profile, ts
from virt_doctor.simulator.operators import OS_IMAGES_NS
from virt_doctor.simulator.vms import build_vm

Obj = dict[str, Any]


def _only(cluster: Cluster, kind: str) -> Obj:
    found = cluster.find_kind(kind)
    if not found:
        raise ValueError(f"the simulated cluster has no {kind} (use the OpenShift flavour)")
    return found[0]


def _degrade(cr: Obj, since: datetime, message: str) -> None:
    cr["status"]["conditions"] = [
        condition("Available", "False", since, "Failed", message, heartbeat=since),
        condition("Progressing", "False", since, "Failed", message, heartbeat=since),
        condition("Degraded", "True", since, "Failed", message, heartbeat=since)]


# --- operator CRs ---------------------------------------------------------------------------

class OperandFaults(NamedTuple):
    """An operator CR that reports readiness (CDI, HPP): its two ways to be not ready, as two faults."""

    prefix: str  # the faults are <prefix>-not-ready and <prefix>-cr-degraded
    kind: str
    alert: str
    short: str  # what the notes call it
    workload: str  # the component whose pods crash-loop
    unavailable: str  # the CR's message while that component is down
    crash_line: str  # what its pods log before they exit
    degraded: str  # the CR's message when it fails on its own


OPERAND_FAULTS = (
    OperandFaults("cdi", "CDI", "CDINotReady", "CDI", "cdi-deployment", "Deployment cdi-deployment is not available",
                  "failed to create the uploadproxy certificate",
                  "Reconcile failed: admission webhook configuration could not be updated"),
    OperandFaults("hpp", "HostPathProvisioner", "HPPNotReady", "HPP", "hostpath-provisioner-csi",
                  "DaemonSet hostpath-provisioner-csi is not ready",
                  "storage pool local: mount /var/hpvolumes: no such device",
                  "storage pool local: the PVC template's storage class does not exist"),
)


def _register_operand_faults(row: OperandFaults) -> None:
    not_ready, degraded = f"{row.prefix}-not-ready", f"{row.prefix}-cr-degraded"

    @fault(not_ready, row.alert, "pod-crash-looping",
           f"{row.workload} crash-loops and the {row.short} CR reports itself degraded")
    def crash(cluster: Cluster, since: datetime) -> None:
        cr = _only(cluster, row.kind)
        _degrade(cr, since, row.unavailable)
        for pod in cluster.component_pods[row.workload]:
            _crash(cluster, pod, since, [("error", row.crash_line)])
        _unavailable(cluster, row.workload, 0, since)
        cluster.note(not_ready, row.alert, "pod-crash-looping", cr, f"{row.workload} crash-looping")

    @fault(degraded, row.alert, "cr-degraded", f"the {row.short} CR reports itself degraded while its pods run")
    def degrade(cluster: Cluster, since: datetime) -> None:
        cr = _only(cluster, row.kind)
        _degrade(cr, since, row.degraded)
        cluster.note(degraded, row.alert, "cr-degraded", cr, f"{row.short} CR degraded")


for _row in OPERAND_FAULTS:
    _register_operand_faults(_row)


@fault("hpp-shared-path", "HPPSharingPoolPathWithOS", "pool-on-root-filesystem",
       "an HPP storage pool path sits on a node's root filesystem")
def hpp_shared_path(cluster: Cluster, since: datetime) -> None:
    pod = cluster.component_pods["hostpath-provisioner-csi"][0]
    key = (pod["metadata"]["namespace"], pod["metadata"]["name"], "hostpath-provisioner")
    cluster.logs[key]["current"].append(
        f"I{since:%m%d %H:%M:%S}.000000       1 utils.go:135] pool (local, /var/hpvolumes/csi), shares path with OS "
        "which can lead to node disk pressure")

    def apply(history: Any) -> None:
        history.family("kubevirt_hpp_pool_path_shared_with_os", "gauge").add(
            {"namespace": key[0], "pod": key[1]}, after(since, constant(0), constant(1)))
    cluster.metric_faults.append(apply)
    cluster.note("hpp-shared-path", "HPPSharingPoolPathWithOS", "pool-on-root-filesystem", pod,
                 f"pool local on {pod['spec']['nodeName']} shares the OS filesystem")


@fault("nac-not-ready", "NetworkAddonsConfigNotReady", "pod-crash-looping",
       "the bridge-marker DaemonSet of CNAO crash-loops, so the NetworkAddonsConfig is not Available")
def nac_not_ready(cluster: Cluster, since: datetime) -> None:
    nac = _only(cluster, "NetworkAddonsConfig")
    ns = cluster.install_ns
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": meta(cluster.ids, "bridge-marker", ns, since - timedelta(days=3), {"app": "bridge-marker"}),
          "spec": {"selector": {"matchLabels": {"name": "bridge-marker"}},
                   "template": {"metadata": {"labels": {"name": "bridge-marker"}},
                                "spec": {"containers": [{"name": "bridge-marker",
                                                         "image": "quay.io/kubevirt/bridge-marker:0.10.1"}]}}},
          "status": {"desiredNumberScheduled": len(cluster.workers), "numberReady": 0,
                     "numberAvailable": 0, "currentNumberScheduled": len(cluster.workers)}}
    cluster.infra.append(ds)
    from virt_doctor.simulator.objects import running_pod

    pods = []
    for worker in cluster.worker_names():
        pod = running_pod(cluster.ids, f"bridge-marker-{cluster.ids.suffix()}", ns, worker, since - timedelta(days=3),
                          {"name": "bridge-marker"}, [{"name": "bridge-marker",
                                                       "image": "quay.io/kubevirt/bridge-marker:0.10.1"}], owner=ds)
        _crash(cluster, pod, since, [("fatal", "failed to list node interfaces: netlink: operation not permitted")])
        pods.append(pod)
    cluster.component_pods["bridge-marker"] = pods
    message = f'DaemonSet "{ns}/bridge-marker" is not available (awaiting {len(pods)} nodes)'
    nac["status"]["conditions"] = [
        condition("Available", "False", since, "Failed", message, heartbeat=cluster.at),
        condition("Progressing", "True", since, "Deploying", message, heartbeat=cluster.at),
        condition("Degraded", "False", since, heartbeat=cluster.at)]
    cluster.note("nac-not-ready", "NetworkAddonsConfigNotReady", "pod-crash-looping", nac, "bridge-marker failing")


# --- virt-operator leader lease ------------------------------------------------------------

@fault("operator-lease-stale", "NoLeadingVirtOperator", "lease-held-by-missing-pod",
       "the virt-operator leader Lease names a pod that no longer exists")
def operator_lease_stale(cluster: Cluster, since: datetime) -> None:
    lease = cluster.find("Lease", "virt-operator")
    lease["spec"]["holderIdentity"] = "virt-operator-6f7b9c5d4-gone1"
    lease["spec"]["renewTime"] = since.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    cluster.note("operator-lease-stale", "NoLeadingVirtOperator", "lease-held-by-missing-pod", lease,
                 "Lease held by virt-operator-6f7b9c5d4-gone1")


@fault("operator-lease-expired", "NoLeadingVirtOperator", "lease-expired",
       "the virt-operator leader Lease expired and no pod renewed it")
def operator_lease_expired(cluster: Cluster, since: datetime) -> None:
    lease = cluster.find("Lease", "virt-operator")
    lease["spec"]["renewTime"] = since.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    cluster.note("operator-lease-expired", "NoLeadingVirtOperator", "lease-expired", lease, "Lease not renewed")


@fault("handler-insufficient", "VirtHandlerDaemonSetRolloutFailing", "insufficient-node-resources",
       "a virt-handler pod cannot be placed on its node: the node has no memory left")
def handler_insufficient(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster, with_vms=False)["metadata"]["name"]
    pod = cluster.handler_pods[node]
    message = (f"0/{len(cluster.workers) + len(cluster.masters)} nodes are available: 1 Insufficient memory, "
               f"{len(cluster.workers) + len(cluster.masters) - 1} node(s) didn't match Pod's node affinity/selector.")
    pod["metadata"]["creationTimestamp"] = ts(since)
    podstate.unschedulable(pod, since, message)
    cluster.extra.append(event(cluster.ids, pod, "FailedScheduling", message, cluster.at - timedelta(minutes=1),
                               "Warning", count=15, first=since, component="default-scheduler"))
    _unavailable(cluster, "virt-handler", len(cluster.handler_pods) - 1, since)
    cluster.note("handler-insufficient", "VirtHandlerDaemonSetRolloutFailing", "insufficient-node-resources",
                 cluster.find("DaemonSet", "virt-handler"), f"virt-handler on {node} Pending: Insufficient memory")


# --- HCO -------------------------------------------------------------------------------------

@fault("hco-cr-removed", "HCOInstallationIncomplete", "uninstall-incomplete",
       "the HyperConverged CR was deleted but the operator (and the operands) stayed")
def hco_cr_removed(cluster: Cluster, since: datetime) -> None:
    hco = _only(cluster, "HyperConverged")
    cluster.infra.remove(hco)
    cluster.note("hco-cr-removed", "HCOInstallationIncomplete", "uninstall-incomplete",
                 cluster.find("Deployment", "hco-operator"), "HyperConverged CR deleted")


@fault("hco-jsonpatch", "UnsupportedHCOModification", "jsonpatch-annotation",
       "a JSON Patch annotation on the HyperConverged CR changes the KubeVirt CR")
def hco_jsonpatch(cluster: Cluster, since: datetime) -> None:
    hco = _only(cluster, "HyperConverged")
    patch = [{"op": "add", "path": "/spec/configuration/developerConfiguration/featureGates/-",
              "value": "CPUManager"}]
    hco["metadata"].setdefault("annotations", {})["kubevirt.kubevirt.io/jsonpatch"] = orjson.dumps(patch).decode()
    cluster.note("hco-jsonpatch", "UnsupportedHCOModification", "jsonpatch-annotation", hco,
                 "kubevirt.kubevirt.io/jsonpatch adds a feature gate")


@fault("kubevirt-cr-edited", "KubeVirtCRModified", "operand-edited",
       "someone edited the KubeVirt CR directly (migration limits) instead of the HyperConverged CR")
def kubevirt_cr_edited(cluster: Cluster, since: datetime) -> None:
    kubevirt = _only(cluster, "KubeVirt")
    kubevirt["spec"]["configuration"]["migrations"]["parallelMigrationsPerCluster"] = 20
    component = f"kubevirt/{kubevirt['metadata']['name']}"

    def apply(history: Any) -> None:  # HCO counts the edit (and reverts it, again and again)
        history.family("kubevirt_hco_out_of_band_modifications", "counter").add(
            {"component_name": component}, after(since, constant(0.0), constant(1 / 120)))
    cluster.metric_faults.append(apply)
    cluster.note("kubevirt-cr-edited", "KubeVirtCRModified", "operand-edited", kubevirt,
                 "parallelMigrationsPerCluster 20 (HCO asks for 5)")


@fault("ipv6-single-stack", "SingleStackIPv6Unsupported", "ipv6-single-stack",
       "the cluster network is IPv6 only")
def ipv6_single_stack(cluster: Cluster, since: datetime) -> None:
    network = _only(cluster, "Network")
    for part in (network["spec"], network["status"]):
        part["clusterNetwork"] = [{"cidr": "fd01::/48", "hostPrefix": 64}]
        part["serviceNetwork"] = ["fd02::/112"]
    cluster.note("ipv6-single-stack", "SingleStackIPv6Unsupported", "ipv6-single-stack", network, "IPv6-only network")


# --- storage ----------------------------------------------------------------------------------

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


# --- nodes ------------------------------------------------------------------------------------

def _kvm(node: Obj, amount: str) -> None:
    node["status"]["allocatable"]["devices.kubevirt.io/kvm"] = amount
    node["status"]["capacity"]["devices.kubevirt.io/kvm"] = amount


@fault("no-kvm-nodes", "KubeVirtNoAvailableNodesToRunVMs", "no-kvm",
       "no node offers /dev/kvm (virtualization disabled in firmware)")
def no_kvm_nodes(cluster: Cluster, since: datetime) -> None:
    for worker in cluster.workers:
        _kvm(worker, "0")
    cluster.note("no-kvm-nodes", "KubeVirtNoAvailableNodesToRunVMs", "no-kvm", _only(cluster, "KubeVirt"),
                 "every worker advertises 0 KVM devices")


@fault("all-nodes-cordoned", "KubeVirtNoAvailableNodesToRunVMs", "no-schedulable-nodes",
       "every worker is cordoned for maintenance")
def all_nodes_cordoned(cluster: Cluster, since: datetime) -> None:
    for worker in cluster.workers:
        cordon(worker, since)
    cluster.note("all-nodes-cordoned", "KubeVirtNoAvailableNodesToRunVMs", "no-schedulable-nodes",
                 _only(cluster, "KubeVirt"), "all workers cordoned")


@fault("low-kvm-nodes", "LowKVMNodesCount", "kvm-missing-on-nodes", "only one worker still offers /dev/kvm")
def low_kvm_nodes(cluster: Cluster, since: datetime) -> None:
    for worker in cluster.workers[1:]:
        _kvm(worker, "0")
    cluster.note("low-kvm-nodes", "LowKVMNodesCount", "kvm-missing-on-nodes", _only(cluster, "KubeVirt"),
                 "one KVM node left")


# --- workloads --------------------------------------------------------------------------------

def _not_migratable(cluster: Cluster, since: datetime, fault_name: str, cause: str, reason: str, message: str) -> None:
    vmset = pick_vm(cluster)
    assert vmset.vmi is not None
    for cond in vmset.vmi["status"]["conditions"]:
        if cond["type"] == "LiveMigratable":
            cond.update(status="False", reason=reason, message=message, lastTransitionTime=ts(since))
    cluster.note(fault_name, "VMCannotBeEvicted", cause, vmset.vmi, message)


@fault("vmi-rwo-disk", "VMCannotBeEvicted", "disks-not-live-migratable",
       "a LiveMigrate VMI has a ReadWriteOnce disk, so it cannot be migrated")
def vmi_rwo_disk(cluster: Cluster, since: datetime) -> None:
    _not_migratable(cluster, since, "vmi-rwo-disk", "disks-not-live-migratable", "DisksNotLiveMigratable",
                    "cannot migrate VMI: PVC rootdisk is not shared, live migration requires that all PVCs must be "
                    "shared (using ReadWriteMany access mode)")


@fault("vmi-bridge-interface", "VMCannotBeEvicted", "interface-not-live-migratable",
       "a LiveMigrate VMI uses bridge binding on the pod network")
def vmi_bridge_interface(cluster: Cluster, since: datetime) -> None:
    _not_migratable(cluster, since, "vmi-bridge-interface", "interface-not-live-migratable",
                    "InterfaceNotLiveMigratable",
                    "cannot migrate VMI which does not use masquerade to connect to the pod network")


@fault("vmi-host-device", "VMCannotBeEvicted", "host-device-not-live-migratable",
       "a LiveMigrate VMI has a passed-through host device")
def vmi_host_device(cluster: Cluster, since: datetime) -> None:
    _not_migratable(cluster, since, "vmi-host-device", "host-device-not-live-migratable",
                    "HostDeviceNotLiveMigratable", "VMI uses a PCI host devices")


def _migrations(cluster: Cluster, since: datetime, source: str, count: int = 14) -> tuple[str, str]:
    vmset = pick_vm(cluster)
    ns, name = vmset.key
    for index in range(count):
        finished = cluster.at - timedelta(minutes=20 + index * 90)
        cluster.extra.append({
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
            "metadata": meta(cluster.ids, f"kubevirt-evacuation-{cluster.ids.suffix()}", ns,
                             finished - timedelta(minutes=2), {"kubevirt.io/vmi-name": name}),
            "spec": {"vmiName": name},
            "status": {"phase": "Succeeded", "migrationState": {
                "sourceNode": source, "targetNode": vmset.node, "completed": True,
                "startTimestamp": ts(finished - timedelta(minutes=1)), "endTimestamp": ts(finished)}}})
    return ns, name


@fault("excessive-migrations", "KubeVirtVMIExcessiveMigrations", "node-pressure",
       "a VMI is evicted again and again from a node under memory pressure (14 migrations in 24 h)")
def excessive_migrations(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster, with_vms=False)
    for cond in node["status"]["conditions"]:
        if cond["type"] == "MemoryPressure":
            cond.update(status="True", reason="KubeletHasInsufficientMemory",
                        message="kubelet has insufficient memory available", lastTransitionTime=ts(since))
    ns, name = _migrations(cluster, since, node["metadata"]["name"])
    cluster.note("excessive-migrations", "KubeVirtVMIExcessiveMigrations", "node-pressure", "VirtualMachineInstance",
                 f"14 migrations away from {node['metadata']['name']}", ns, name)


@fault("excessive-migrations-drain", "KubeVirtVMIExcessiveMigrations", "repeated-drains",
       "a VMI keeps being migrated off a node that automation drains again and again")
def excessive_migrations_drain(cluster: Cluster, since: datetime) -> None:
    node = pick_worker(cluster, with_vms=False)
    cordon(node, since)
    cluster.extra.append(event(cluster.ids, node, "NodeNotSchedulable", f"Node {node['metadata']['name']} status is "
                               "now: NodeNotSchedulable", cluster.at - timedelta(minutes=30), count=13,
                               first=cluster.at - timedelta(hours=20), component="kubelet"))
    ns, name = _migrations(cluster, since, node["metadata"]["name"])
    cluster.note("excessive-migrations-drain", "KubeVirtVMIExcessiveMigrations", "repeated-drains",
                 "VirtualMachineInstance", f"14 migrations off drained {node['metadata']['name']}", ns, name)


def _kubevirt_updated(cluster: Cluster, when: datetime) -> Obj:
    kubevirt = _only(cluster, "KubeVirt")
    for cond in kubevirt["status"]["conditions"]:
        cond["lastTransitionTime"] = ts(when)
    return kubevirt


def _outdate_vmi(cluster: Cluster, vmset: Any) -> None:
    """The VMI keeps the launcher of the previous version; virt-controller labels it, virt-operator counts it."""
    vmset.vmi["metadata"]["labels"]["kubevirt.io/outdatedLauncherImage"] = ""
    vmset.vmi["status"]["launcherContainerImageVersion"] = "quay.io/kubevirt/virt-launcher:v1.4.1"
    _only(cluster, "KubeVirt")["status"]["outdatedVirtualMachineInstanceWorkloads"] += 1


@fault("outdated-no-strategy", "OutdatedVirtualMachineInstanceWorkloads", "workload-updates-not-configured",
       "KubeVirt was updated 2 days ago with automatic workload updates off; VMIs keep old launchers")
def outdated_no_strategy(cluster: Cluster, since: datetime) -> None:
    kubevirt = _kubevirt_updated(cluster, cluster.at - timedelta(days=2))
    kubevirt["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] = []
    for vmset in [v for v in cluster.vms if v.vmi is not None][:3]:
        _outdate_vmi(cluster, vmset)
    cluster.note("outdated-no-strategy", "OutdatedVirtualMachineInstanceWorkloads", "workload-updates-not-configured",
                 kubevirt, "workloadUpdateMethods is empty")


@fault("outdated-not-migratable", "OutdatedVirtualMachineInstanceWorkloads", "vmi-not-live-migratable",
       "a VMI cannot be live-migrated, so it still runs the launcher of before the update 2 days ago")
def outdated_not_migratable(cluster: Cluster, since: datetime) -> None:
    _kubevirt_updated(cluster, cluster.at - timedelta(days=2))
    vmset = pick_vm(cluster)
    _outdate_vmi(cluster, vmset)
    for cond in vmset.vmi["status"]["conditions"]:  # type: ignore[index]
        if cond["type"] == "LiveMigratable":
            cond.update(status="False", reason="DisksNotLiveMigratable", message="PVC rootdisk is not shared")
    vmset.vm["spec"]["template"]["spec"]["evictionStrategy"] = "None"
    vmset.vmi["spec"]["evictionStrategy"] = "None"  # type: ignore[index]
    cluster.note("outdated-not-migratable", "OutdatedVirtualMachineInstanceWorkloads", "vmi-not-live-migratable",
                 vmset.vmi, "not live-migratable")  # type: ignore[arg-type]


@fault("outdated-migration-failing", "OutdatedVirtualMachineInstanceWorkloads", "migration-failing",
       "the update migrations of a VMI keep failing since the update 2 days ago")
def outdated_migration_failing(cluster: Cluster, since: datetime) -> None:
    _kubevirt_updated(cluster, cluster.at - timedelta(days=2))
    vmset = pick_vm(cluster)
    _outdate_vmi(cluster, vmset)
    ns, name = vmset.key
    for index in range(3):
        started = cluster.at - timedelta(hours=20 - index * 5)
        cluster.extra.append({
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
            "metadata": meta(cluster.ids, f"kubevirt-workload-update-{cluster.ids.suffix()}", ns, started,
                             {"kubevirt.io/vmi-name": name}),
            "spec": {"vmiName": name},
            "status": {"phase": "Failed", "migrationState": {
                "sourceNode": vmset.node, "failed": True, "startTimestamp": ts(started),
                "failureReason": "Live migration failed: target node did not become ready in 5m0s"}}})
    cluster.note("outdated-migration-failing", "OutdatedVirtualMachineInstanceWorkloads", "migration-failing",
                 vmset.vmi, "3 failed update migrations")  # type: ignore[arg-type]


@fault("duplicate-mac", "KubeMacPoolDuplicateMacsFound", "duplicate-mac",
       "two VMs were created with the same static MAC address")
def duplicate_mac(cluster: Cluster, since: datetime) -> None:
    first, second = pick_vm(cluster), None
    cluster.note("duplicate-mac", "", "", first.vm, "first holder")
    second = pick_vm(cluster)
    mac = first.vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"][0]["macAddress"]
    second.vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"][0]["macAddress"] = mac
    cluster.injected.pop()
    keys = sorted([first.key, second.key])
    cluster.note("duplicate-mac", "KubeMacPoolDuplicateMacsFound", "duplicate-mac", "VirtualMachine",
                 f"{mac} on {keys[0][1]} and {keys[1][1]}", keys[0][0], keys[0][1])


@fault("nac-component-missing", "NetworkAddonsConfigNotReady", "component-not-ready",
       "the NetworkAddonsConfig waits for a DaemonSet that was deleted")
def nac_component_missing(cluster: Cluster, since: datetime) -> None:
    nac = _only(cluster, "NetworkAddonsConfig")
    message = f'DaemonSet "{cluster.install_ns}/ovs-cni-amd64" is not available (awaiting 3 nodes)'
    nac["status"]["conditions"] = [
        condition("Available", "False", since, "Failed", message, heartbeat=cluster.at),
        condition("Progressing", "True", since, "Deploying", message, heartbeat=cluster.at),
        condition("Degraded", "False", since, heartbeat=cluster.at)]
    cluster.note("nac-component-missing", "NetworkAddonsConfigNotReady", "component-not-ready", nac,
                 "DaemonSet ovs-cni-amd64 missing")


@fault("hco-never-created", "HCOInstallationIncomplete", "cr-never-created",
       "the HCO operator was installed but no HyperConverged CR (and so no operand) was ever created")
def hco_never_created(cluster: Cluster, since: datetime) -> None:
    operands = ("HyperConverged", "KubeVirt", "CDI", "NetworkAddonsConfig", "SSP", "HostPathProvisioner")
    cluster.infra = [o for o in cluster.infra if o["kind"] not in operands]
    cluster.note("hco-never-created", "HCOInstallationIncomplete", "cr-never-created",
                 cluster.find("Deployment", "hco-operator"), "no HyperConverged CR, no operands")


@fault("handler-placement-none", "VirtHandlerDown", "placement-matches-no-node",
       "the workloads placement was changed to a label no node has; virt-handler is scheduled nowhere")
def handler_placement_none(cluster: Cluster, since: datetime) -> None:
    kubevirt = _only(cluster, "KubeVirt")
    kubevirt["spec"]["workloads"] = {"nodePlacement": {"nodeSelector": {"node-role.kubernetes.io/virt-hosts": ""}}}
    ds = cluster.find("DaemonSet", "virt-handler")
    ds["spec"]["template"]["spec"]["nodeSelector"]["node-role.kubernetes.io/virt-hosts"] = ""
    for key in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady", "numberAvailable",
                "updatedNumberScheduled"):
        ds["status"][key] = 0
    cluster.handler_pods.clear()
    cluster.note("handler-placement-none", "VirtHandlerDown", "placement-matches-no-node", ds,
                 "nodeSelector node-role.kubernetes.io/virt-hosts matches no node")
