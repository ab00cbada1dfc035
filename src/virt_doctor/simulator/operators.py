"""The rest of a virtualization install: CDI, HCO, network add-ons, hostpath provisioner, SSP, boot images."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator import objects as o
from virt_doctor.simulator.cluster import Cluster

Obj = dict[str, Any]
OS_IMAGES_NS = "openshift-virtualization-os-images"
# name, replicas, pod selector, container: the operators and operands OpenShift Virtualization runs
OPENSHIFT_DEPLOYMENTS: tuple[tuple[str, int, dict[str, str], str], ...] = (
    ("hco-operator", 1, {"name": "hyperconverged-cluster-operator"}, "hyperconverged-cluster-operator"),
    ("hco-webhook", 1, {"name": "hyperconverged-cluster-webhook"}, "hyperconverged-cluster-webhook"),
    ("cluster-network-addons-operator", 1, {"name": "cluster-network-addons-operator"}, ""),
    ("kubemacpool-mac-controller-manager", 1, {"control-plane": "mac-controller-manager"}, "manager"),
    ("hostpath-provisioner-operator", 1, {"name": "hostpath-provisioner-operator"}, ""),
    ("ssp-operator", 1, {"name": "ssp-operator"}, "manager"),
    ("virt-template-validator", 2, {"name": "virt-template-validator"}, "webhook"),
)
CDI_DEPLOYMENTS: tuple[tuple[str, int, dict[str, str], str], ...] = (
    ("cdi-operator", 1, {"name": "cdi-operator"}, ""),
    ("cdi-deployment", 1, {"cdi.kubevirt.io": "cdi-deployment", "app": "containerized-data-importer"},
     "cdi-controller"),
    ("cdi-apiserver", 1, {"cdi.kubevirt.io": "cdi-apiserver", "app": "containerized-data-importer"}, ""),
    ("cdi-uploadproxy", 1, {"cdi.kubevirt.io": "cdi-uploadproxy", "app": "containerized-data-importer"}, ""),
)
BOOT_IMAGES = ("fedora", "centos-stream9", "rhel9")


def _ready_conditions(when: datetime, heartbeat: datetime) -> list[Obj]:
    return [o.condition("Available", "True", when, "Completed", heartbeat=heartbeat),
            o.condition("Progressing", "False", when, "Completed", heartbeat=heartbeat),
            o.condition("Degraded", "False", when, "Completed", heartbeat=heartbeat)]


def install(cluster: Cluster, openshift: bool, created: datetime) -> None:
    """Add the operators and custom resources of OpenShift Virtualization (or of upstream CDI)."""
    ids, at = cluster.ids, cluster.at
    ready = created + timedelta(minutes=10)
    cdi_ns = cluster.install_ns if openshift else "cdi"
    for index, (name, replicas, selector, container) in enumerate(CDI_DEPLOYMENTS):
        cluster.add_deployment(cdi_ns, name, replicas, f"quay.io/kubevirt/{name.replace('cdi-deployment', 'cdi-controller')}"
                               f":{o.CDI_VERSION}", created, selector, container, first_node=index + 1)
    cluster.infra.append({
        "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "CDI",
        "metadata": o.meta(ids, "cdi-kubevirt-hyperconverged" if openshift else "cdi", None, created),
        "spec": {"config": {"featureGates": ["HonorWaitForFirstConsumer"]}},
        "status": {"phase": "Deployed", "observedVersion": o.CDI_VERSION, "operatorVersion": o.CDI_VERSION,
                   "targetVersion": o.CDI_VERSION, "conditions": _ready_conditions(ready, at)}})
    for leader in ("virt-operator", "virt-controller"):  # each elects its leader through a Lease of its name
        cluster.infra.append({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": o.meta(ids, leader, cluster.install_ns, created),
            "spec": {"holderIdentity": cluster.component_pods[leader][0]["metadata"]["name"],
                     "leaseDurationSeconds": 15, "leaseTransitions": 1,
                     "acquireTime": (created + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                     "renewTime": (at - timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")}})
    _storage(cluster, created, openshift)
    if not openshift:
        return
    ns = cluster.install_ns
    for index, (name, replicas, selector, container) in enumerate(OPENSHIFT_DEPLOYMENTS):
        cluster.add_deployment(ns, name, replicas, f"registry.redhat.io/container-native-virtualization/{name}:v4.18",
                               created, selector, container, first_node=index)
    cluster.infra.append({
        "apiVersion": "networkaddonsoperator.network.kubevirt.io/v1", "kind": "NetworkAddonsConfig",
        "metadata": o.meta(ids, "cluster", None, created),
        "spec": {"imagePullPolicy": "IfNotPresent", "linuxBridge": {}, "ovs": {},
                 "kubeMacPool": {"rangeStart": "02:00:00:00:00:00", "rangeEnd": "02:FF:FF:FF:FF:FF"}},
        "status": {"conditions": _ready_conditions(ready, at), "observedVersion": "0.97.1",
                   "operatorVersion": "0.97.1", "targetVersion": "0.97.1"}})
    cluster.infra.append({
        "apiVersion": "hostpathprovisioner.kubevirt.io/v1beta1", "kind": "HostPathProvisioner",
        "metadata": o.meta(ids, "hostpath-provisioner", None, created),
        "spec": {"imagePullPolicy": "IfNotPresent",
                 "storagePools": [{"name": "local", "path": "/var/hpvolumes", "pvcTemplate": {
                     "volumeMode": "Block", "storageClassName": "local-block",
                     "resources": {"requests": {"storage": "500Gi"}}}}],
                 "workload": {"nodeSelector": {"kubernetes.io/os": "linux"}}},
        "status": {"conditions": _ready_conditions(ready, at), "observedVersion": "v1.3.0"}})
    _hpp_csi(cluster, ns, created)
    cluster.infra.append({
        "apiVersion": "ssp.kubevirt.io/v1beta2", "kind": "SSP",
        "metadata": o.meta(ids, "ssp-kubevirt-hyperconverged", ns, created),
        "spec": {"commonTemplates": {"namespace": "openshift"}, "templateValidator": {"replicas": 2}},
        "status": {"phase": "Deployed", "conditions": _ready_conditions(ready, at), "observedVersion": "v0.22.0"}})
    cluster.infra.append({
        "apiVersion": "config.openshift.io/v1", "kind": "Network", "metadata": o.meta(ids, "cluster", None, created),
        "spec": {"clusterNetwork": [{"cidr": "10.128.0.0/14", "hostPrefix": 23}], "networkType": "OVNKubernetes",
                 "serviceNetwork": ["172.30.0.0/16"]},
        "status": {"clusterNetwork": [{"cidr": "10.128.0.0/14", "hostPrefix": 23}], "clusterNetworkMTU": 1400,
                   "networkType": "OVNKubernetes", "serviceNetwork": ["172.30.0.0/16"]}})
    _boot_images(cluster, created)


def _hpp_csi(cluster: Cluster, ns: str, created: datetime) -> None:
    ids = cluster.ids
    workers = cluster.worker_names()
    ds = o.virt_handler_daemonset(ids, ns, created, len(workers))
    ds["metadata"].update(name="hostpath-provisioner-csi", labels={"k8s-app": "hostpath-provisioner"},
                          annotations={})
    ds["spec"]["selector"] = {"matchLabels": {"k8s-app": "hostpath-provisioner"}}
    ds["spec"]["template"]["metadata"] = {"labels": {"k8s-app": "hostpath-provisioner"}}
    image = "registry.redhat.io/container-native-virtualization/hostpath-csi-driver:v4.18"
    ds["spec"]["template"]["spec"] = {"containers": [{"name": "hostpath-provisioner", "image": image}],
                                      "serviceAccountName": "hostpath-provisioner-admin-csi"}
    cluster.infra.append(ds)
    pods = []
    for node in workers:
        pod = o.running_pod(ids, f"hostpath-provisioner-csi-{ids.suffix()}", ns, node, created + timedelta(minutes=4),
                            {"k8s-app": "hostpath-provisioner"}, [{"name": "hostpath-provisioner", "image": image}],
                            owner=ds)
        pods.append(pod)
        cluster.log(pod, "hostpath-provisioner", "current", [
            f"I{cluster.at:%m%d %H:%M:%S}.000000       1 hostpath.go:88] Driver: kubevirt.io.hostpath-provisioner",
            f"I{cluster.at:%m%d %H:%M:%S}.000000       1 server.go:108] Listening for connections on address: "
            "&net.UnixAddr{Name:\"//csi/csi.sock\", Net:\"unix\"}"])
    cluster.component_pods["hostpath-provisioner-csi"] = pods


def _storage(cluster: Cluster, created: datetime, openshift: bool) -> None:
    """CSI drivers and snapshot classes that make the RBD classes smart-clone capable."""
    ids = cluster.ids
    for driver in ("openshift-storage.rbd.csi.ceph.com", "openshift-storage.cephfs.csi.ceph.com"):
        cluster.infra.append({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver",
                              "metadata": o.meta(ids, driver, None, created),
                              "spec": {"attachRequired": True, "podInfoOnMount": False}})
    cluster.infra.append({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
                          "metadata": o.meta(ids, "ocs-storagecluster-rbdplugin-snapclass", None, created),
                          "driver": "openshift-storage.rbd.csi.ceph.com", "deletionPolicy": "Delete",
                          "parameters": {"clusterID": "openshift-storage"}})


def _boot_images(cluster: Cluster, created: datetime) -> None:
    """The golden images: one DataImportCron per OS, its latest DataVolume, its DataSource."""
    ids, at = cluster.ids, cluster.at
    imported = at - timedelta(hours=7)
    for os_name in BOOT_IMAGES:
        digest = f"{ids.rng.getrandbits(256):064x}"
        dv_name = f"{os_name}-{digest[:12]}"
        cron_name = f"{os_name}-image-cron"
        cron: Obj = {
            "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataImportCron",
            "metadata": {**o.meta(ids, cron_name, OS_IMAGES_NS, created, {
                "instancetype.kubevirt.io/default-preference": os_name}),
                "annotations": {"cdi.kubevirt.io/storage.import.storageClass": "ocs-storagecluster-ceph-rbd-virtualization"}},
            "spec": {"garbageCollect": "Outdated", "importsToKeep": 3, "managedDataSource": os_name,
                     "schedule": "30 1/12 * * *",
                     "template": {"spec": {"source": {"registry": {"url": f"docker://quay.io/containerdisks/{os_name}:latest"}},
                                           "storage": {"resources": {"requests": {"storage": "30Gi"}}}}}},
            "status": {"currentImports": [{"DataVolumeName": dv_name, "Digest": f"sha256:{digest}"}],
                       "lastImportedPVC": {"name": dv_name, "namespace": OS_IMAGES_NS},
                       "lastImportTimestamp": o.ts(imported), "lastExecutionTimestamp": o.ts(imported),
                       "sourceFormat": "snapshot",
                       "conditions": [o.condition("Progressing", "False", imported, "NoImport", "No current import",
                                                  heartbeat=at),
                                      o.condition("UpToDate", "True", imported, "UpToDate", "Latest import is up to date",
                                                  heartbeat=at)]}}
        dv = {
            "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume",
            "metadata": o.meta(ids, dv_name, OS_IMAGES_NS, imported - timedelta(minutes=5),
                               {"cdi.kubevirt.io/dataImportCron": cron_name}),
            "spec": {"source": {"registry": {"url": f"docker://quay.io/containerdisks/{os_name}@sha256:{digest}"}},
                     "storage": {"storageClassName": "ocs-storagecluster-ceph-rbd-virtualization",
                                 "resources": {"requests": {"storage": "30Gi"}}}},
            "status": {"phase": "Succeeded", "progress": "100.0%", "claimName": dv_name, "conditions": [
                o.condition("Bound", "True", imported, "Bound", heartbeat=imported),
                o.condition("Ready", "True", imported, heartbeat=imported),
                o.condition("Running", "False", imported, "Completed", heartbeat=imported)]}}
        cluster.infra += [cron, dv]


def migrations(cluster: Cluster) -> None:
    """A few successful live migrations, as a healthy cluster has after maintenance."""
    ids, at = cluster.ids, cluster.at
    running = [v for v in cluster.vms if v.vmi is not None][:6]
    for index, vmset in enumerate(running):
        ns, name = vmset.key
        finished = at - timedelta(hours=5, minutes=index * 7)
        cluster.extra.append({
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceMigration",
            "metadata": o.meta(ids, f"kubevirt-evacuation-{ids.suffix()}", ns, finished - timedelta(minutes=2),
                               {"kubevirt.io/vmi-name": name}),
            "spec": {"vmiName": name},
            "status": {"phase": "Succeeded", "migrationState": {
                "sourceNode": cluster.worker_names()[(index + 1) % len(cluster.workers)], "targetNode": vmset.node,
                "completed": True, "startTimestamp": o.ts(finished - timedelta(minutes=1)),
                "endTimestamp": o.ts(finished)},
                "phaseTransitionTimestamps": [
                    {"phase": "Pending", "phaseTransitionTimestamp": o.ts(finished - timedelta(minutes=2))},
                    {"phase": "Succeeded", "phaseTransitionTimestamp": o.ts(finished)}]}})
