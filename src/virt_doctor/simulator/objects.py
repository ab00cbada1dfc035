"""Builders of Kubernetes and KubeVirt objects with the field names and values real clusters use."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

Obj = dict[str, Any]

KUBEVIRT_VERSION = "v1.5.2"
REGISTRY = "quay.io/kubevirt"
CDI_VERSION = "v1.61.1"


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Ids:
    """Deterministic UIDs, resourceVersions and pod-name suffixes from one seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.version = 100000

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def rv(self) -> str:
        self.version += 1
        return str(self.version)

    def suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))


def meta(ids: Ids, name: str, namespace: str | None, created: datetime, labels: dict[str, str] | None = None,
         annotations: dict[str, str] | None = None, owner: Obj | None = None) -> Obj:
    data: Obj = {"name": name, "uid": ids.uid(), "resourceVersion": ids.rv(), "creationTimestamp": ts(created)}
    if namespace:
        data["namespace"] = namespace
    if labels:
        data["labels"] = dict(labels)
    if annotations:
        data["annotations"] = dict(annotations)
    if owner is not None:
        data["ownerReferences"] = [{
            "apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    return data


def condition(kind: str, status: str, when: datetime, reason: str = "", message: str = "",
              heartbeat: datetime | None = None, probe: bool = False) -> Obj:
    cond: Obj = {"type": kind, "status": status, "lastTransitionTime": ts(when)}
    if heartbeat is not None:
        cond["lastHeartbeatTime"] = ts(heartbeat)
    if probe:
        cond["lastProbeTime"] = None
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def node(ids: Ids, name: str, at: datetime, created: datetime, worker: bool = True) -> Obj:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}
    taints = []
    if worker:
        labels.update({"node-role.kubernetes.io/worker": "", "kubevirt.io/schedulable": "true",
                       "cpu-model.node.kubevirt.io/Cascadelake-Server": "true",
                       "cpu-vendor.node.kubevirt.io/Intel": "true", "kubevirt.io/ksm-enabled": "false",
                       # the machine types virt-handler found QEMU offering
                       "machine-type.node.kubevirt.io/pc-q35-rhel9.4.0": "true",
                       "machine-type.node.kubevirt.io/pc-q35-rhel9.6.0": "true",
                       "machine-type.node.kubevirt.io/pc-q35-rhel8.6.0": "true"})
    else:
        labels.update({"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/master": ""})
        taints.append({"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"})
    capacity = {"cpu": "64", "memory": "263842664Ki", "pods": "250", "ephemeral-storage": "936104724Ki",
                "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
    if worker:
        capacity.update({"devices.kubevirt.io/kvm": "1k", "devices.kubevirt.io/tun": "1k",
                         "devices.kubevirt.io/vhost-net": "1k"})
    allocatable = dict(capacity, cpu="63500m", memory="262691688Ki")
    obj: Obj = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": meta(ids, name, None, created, labels,
                         {"kubevirt.io/heartbeat": ts(at - timedelta(seconds=40))} if worker else None),
        "spec": {"taints": taints} if taints else {},
        "status": {
            "capacity": capacity, "allocatable": allocatable,
            "conditions": [
                condition("MemoryPressure", "False", created, "KubeletHasSufficientMemory",
                          "kubelet has sufficient memory available", heartbeat=at - timedelta(seconds=30)),
                condition("DiskPressure", "False", created, "KubeletHasNoDiskPressure",
                          "kubelet has no disk pressure", heartbeat=at - timedelta(seconds=30)),
                condition("PIDPressure", "False", created, "KubeletHasSufficientPID",
                          "kubelet has sufficient PID available", heartbeat=at - timedelta(seconds=30)),
                condition("Ready", "True", created + timedelta(minutes=2), "KubeletReady",
                          "kubelet is posting ready status", heartbeat=at - timedelta(seconds=30)),
            ],
            "nodeInfo": {"kubeletVersion": "v1.31.6", "containerRuntimeVersion": "cri-o://1.31.5",
                         "architecture": "amd64", "operatingSystem": "linux"},
        },
    }
    if not taints:
        del obj["spec"]
        obj["spec"] = {}
    return obj


def kubevirt_cr(ids: Ids, namespace: str, name: str, created: datetime, at: datetime) -> Obj:
    ready = created + timedelta(minutes=6)
    reason, message = "AllComponentsReady", "All components are ready."
    return {
        "apiVersion": "kubevirt.io/v1", "kind": "KubeVirt",
        "metadata": {**meta(ids, name, namespace, created, {"app": "kubevirt-hyperconverged"}),
                     "finalizers": ["kubevirt.io/kubeVirtFinalize"], "generation": 2},
        "spec": {
            "certificateRotateStrategy": {},
            "configuration": {"developerConfiguration": {"featureGates": []},
                              "migrations": dict(MIGRATION_DEFAULTS)},
            "customizeComponents": {},
            "imagePullPolicy": "IfNotPresent",
            "workloadUpdateStrategy": dict(WORKLOAD_UPDATE_DEFAULTS),
        },
        "status": {
            "phase": "Deployed",
            "conditions": [
                {**condition("Available", "True", ready, reason, message), "lastProbeTime": ts(ready)},
                {**condition("Progressing", "False", ready, reason, message), "lastProbeTime": ts(ready)},
                {**condition("Degraded", "False", ready, reason, message), "lastProbeTime": ts(ready)},
                {**condition("Created", "True", ready, "AllResourcesCreated", "All resources were created."),
                 "lastProbeTime": ts(ready)},
            ],
            "operatorVersion": KUBEVIRT_VERSION, "targetKubeVirtVersion": KUBEVIRT_VERSION,
            "targetKubeVirtRegistry": REGISTRY, "observedKubeVirtVersion": KUBEVIRT_VERSION,
            "observedKubeVirtRegistry": REGISTRY, "targetDeploymentID": "6a1f0c2e9b",
            "observedDeploymentID": "6a1f0c2e9b", "defaultArchitecture": "amd64", "observedGeneration": 2,
            "outdatedVirtualMachineInstanceWorkloads": 0,
        },
    }


def hyperconverged(ids: Ids, namespace: str, created: datetime) -> Obj:
    ready = created + timedelta(minutes=8)
    return {
        "apiVersion": "hco.kubevirt.io/v1beta1", "kind": "HyperConverged",
        "metadata": meta(ids, "kubevirt-hyperconverged", namespace, created),
        "spec": {"featureGates": {"enableCommonBootImageImport": True},
                 "liveMigrationConfig": dict(MIGRATION_DEFAULTS),
                 "workloadUpdateStrategy": dict(WORKLOAD_UPDATE_DEFAULTS)},
        "status": {"conditions": [
            condition("ReconcileComplete", "True", ready, "ReconcileCompleted", "Reconcile completed successfully"),
            condition("Available", "True", ready, "ReconcileCompleted", "Reconcile completed successfully"),
            condition("Progressing", "False", ready, "ReconcileCompleted", "Reconcile completed successfully"),
            condition("Degraded", "False", ready, "ReconcileCompleted", "Reconcile completed successfully"),
            condition("Upgradeable", "True", ready, "ReconcileCompleted", "Reconcile completed successfully"),
        ], "systemHealthStatus": "healthy",
            "dataImportCronTemplates": [golden_image(name, source) for name, source in GOLDEN_IMAGES]},
    }


# the common golden images HCO reports in status.dataImportCronTemplates (a few of them)
GOLDEN_IMAGES = (("centos-stream9-image-cron", "centos-stream9"), ("fedora-image-cron", "fedora"))


def golden_image(name: str, source: str, custom: bool = False) -> Obj:
    """One DataImportCronTemplate as HCO reports it in its status."""
    return {"metadata": {"name": name},
            "spec": {"managedDataSource": source, "schedule": "0 */12 * * *",
                     "template": {"spec": {"source": {"registry": {"url": f"docker://quay.io/containerdisks/{source}"}},
                                           "storage": {"resources": {"requests": {"storage": "30Gi"}}}}}},
            "status": {} if custom else {"commonTemplate": True}}


# the HyperConverged CRD's defaults for spec.liveMigrationConfig, which HCO copies into the KubeVirt CR
MIGRATION_DEFAULTS = {"parallelMigrationsPerCluster": 5, "parallelOutboundMigrationsPerNode": 2,
                      "completionTimeoutPerGiB": 150, "progressTimeout": 150, "allowPostCopy": False,
                      "allowAutoConverge": False}


# the HyperConverged CRD's default spec.workloadUpdateStrategy, which HCO copies into the KubeVirt CR
WORKLOAD_UPDATE_DEFAULTS = {"workloadUpdateMethods": ["LiveMigrate"], "batchEvictionSize": 10,
                            "batchEvictionInterval": "1m0s"}


def deployment(ids: Ids, namespace: str, name: str, replicas: int, created: datetime, image: str,
               selector: dict[str, str] | None = None, container: str = "") -> Obj:
    selector = selector or {"kubevirt.io": name}
    labels = {**selector, "app.kubernetes.io/component": "kubevirt" if name.startswith("virt-") else "compute",
              "app.kubernetes.io/managed-by": "virt-operator" if name in ("virt-api", "virt-controller") else "olm"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {**meta(ids, name, namespace, created, labels), "generation": 1},
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(selector)},
                 "template": {"metadata": {"labels": {**selector, "prometheus.kubevirt.io": "true"}},
                              "spec": {"containers": [{"name": container or name, "image": image,
                                                       "resources": {"requests": {"cpu": "10m",
                                                                                  "memory": "250Mi"}}}],
                                       "priorityClassName": "kubevirt-cluster-critical"}}},
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                   "updatedReplicas": replicas, "observedGeneration": 1,
                   "conditions": [condition("Available", "True", created + timedelta(minutes=3),
                                            "MinimumReplicasAvailable", "Deployment has minimum availability."),
                                  condition("Progressing", "True", created + timedelta(minutes=3),
                                            "NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.')]},
    }


def replicaset(ids: Ids, dep: Obj, hash_: str, created: datetime) -> Obj:
    name = dep["metadata"]["name"]
    labels = {**dep["spec"]["selector"]["matchLabels"], "pod-template-hash": hash_}
    replicas = dep["spec"]["replicas"]
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": meta(ids, f"{name}-{hash_}", dep["metadata"]["namespace"], created, labels, owner=dep),
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {**dep["spec"]["template"], "metadata": {
                     "labels": {**dep["spec"]["template"]["metadata"]["labels"], "pod-template-hash": hash_}}}},
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                   "fullyLabeledReplicas": replicas, "observedGeneration": 1},
    }


def virt_handler_daemonset(ids: Ids, namespace: str, created: datetime, desired: int) -> Obj:
    labels = {"kubevirt.io": "virt-handler", "app.kubernetes.io/component": "kubevirt",
              "app.kubernetes.io/managed-by": "virt-operator", "app.kubernetes.io/version": KUBEVIRT_VERSION}
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {**meta(ids, "virt-handler", namespace, created, labels, {
            "kubevirt.io/install-strategy-identifier": "6a1f0c2e9b",
            "kubevirt.io/install-strategy-registry": REGISTRY,
            "kubevirt.io/install-strategy-version": KUBEVIRT_VERSION}), "generation": 1},
        "spec": {
            "selector": {"matchLabels": {"kubevirt.io": "virt-handler"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"kubevirt.io": "virt-handler", "prometheus.kubevirt.io": "true"},
                             "annotations": {"openshift.io/required-scc": "kubevirt-handler"}},
                "spec": {"serviceAccountName": "kubevirt-handler", "hostPID": True,
                         "nodeSelector": {"kubernetes.io/os": "linux"},
                         "priorityClassName": "kubevirt-cluster-critical",
                         "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                         "containers": [{"name": "virt-handler", "image": f"{REGISTRY}/virt-handler:{KUBEVIRT_VERSION}",
                                         "resources": {"requests": {"cpu": "10m", "memory": "325Mi"}}}]},
            },
        },
        "status": {"currentNumberScheduled": desired, "desiredNumberScheduled": desired, "numberAvailable": desired,
                   "numberMisscheduled": 0, "numberReady": desired, "updatedNumberScheduled": desired,
                   "observedGeneration": 1},
    }


def running_pod(ids: Ids, name: str, namespace: str, node_name: str, created: datetime, labels: dict[str, str],
                containers: list[Obj], owner: Obj | None = None, annotations: dict[str, str] | None = None,
                extra_spec: Obj | None = None) -> Obj:
    started = created + timedelta(seconds=20)
    if owner is not None and owner.get("kind") == "DaemonSet":
        extra_spec = {**(extra_spec or {}), "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}}}}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": meta(ids, name, namespace, created, labels, annotations, owner),
        "spec": {"nodeName": node_name, "containers": containers, "restartPolicy": "Always",
                 "schedulerName": "default-scheduler", **(extra_spec or {})},
        "status": {
            "phase": "Running", "hostIP": "10.0.0.1", "podIP": "10.128.0.1", "qosClass": "Burstable",
            "startTime": ts(created),
            "conditions": [condition("Initialized", "True", created, probe=True),
                           condition("Ready", "True", started, probe=True),
                           condition("ContainersReady", "True", started, probe=True),
                           condition("PodScheduled", "True", created, probe=True)],
            "containerStatuses": [{
                "name": c["name"], "image": c["image"], "imageID": c["image"] + "@sha256:" + "0" * 64,
                "ready": True, "started": True, "restartCount": 0,
                "containerID": "cri-o://" + ids.uid().replace("-", ""),
                "state": {"running": {"startedAt": ts(started)}}, "lastState": {}} for c in containers],
        },
    }


def event(ids: Ids, involved: Obj, reason: str, message: str, when: datetime, type_: str = "Normal",
          count: int = 1, component: str = "kubelet", first: datetime | None = None) -> Obj:
    md = involved["metadata"]
    namespace = md.get("namespace") or "default"
    name = f"{md['name']}.{ids.suffix(16)}"
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": meta(ids, name, namespace, first or when),
        "involvedObject": {"apiVersion": involved["apiVersion"], "kind": involved["kind"], "name": md["name"],
                           "namespace": md.get("namespace", ""), "uid": md["uid"],
                           "resourceVersion": md["resourceVersion"]},
        "reason": reason, "message": message, "type": type_, "count": count,
        "firstTimestamp": ts(first or when), "lastTimestamp": ts(when),
        "source": {"component": component}, "reportingComponent": component,
    }


def storage_class(ids: Ids, name: str, provisioner: str, created: datetime, default: bool = False,
                  virt_default: bool = False, parameters: dict[str, str] | None = None) -> Obj:
    annotations = {}
    if default:
        annotations["storageclass.kubernetes.io/is-default-class"] = "true"
    if virt_default:
        annotations["storageclass.kubevirt.io/is-default-virt-class"] = "true"
    obj = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
           "metadata": meta(ids, name, None, created, annotations=annotations or None),
           "provisioner": provisioner, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate",
           "allowVolumeExpansion": True}
    if parameters:
        obj["parameters"] = parameters
    return obj


def storage_profile(ids: Ids, sc: Obj, created: datetime) -> Obj:
    name = sc["metadata"]["name"]
    return {
        "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "StorageProfile",
        "metadata": meta(ids, name, None, created, {"app": "containerized-data-importer",
                                                     "cdi.kubevirt.io": ""}),
        "spec": {},
        "status": {"storageClass": name, "provisioner": sc["provisioner"], "cloneStrategy": "csi-clone",
                   "dataImportCronSourceFormat": "snapshot",
                   "claimPropertySets": [{"accessModes": ["ReadWriteMany"], "volumeMode": "Block"},
                                         {"accessModes": ["ReadWriteOnce"], "volumeMode": "Block"},
                                         {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem"}]},
    }
