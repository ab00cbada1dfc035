"""A running VM as KubeVirt leaves it: VM, VMI, virt-launcher pod, DataVolume and PVC, all linked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from virt_doctor.simulator.objects import KUBEVIRT_VERSION, REGISTRY, Ids, condition, meta, ts

Obj = dict[str, Any]

OS_IMAGES = {"fedora": "quay.io/containerdisks/fedora:41", "centos-stream9": "quay.io/containerdisks/centos-stream:9",
             "rhel9": "registry.redhat.io/rhel9/rhel-guest-image:9.4", "windows2k22": ""}


@dataclass
class VMSet:
    """The objects of one VM; `pod` and `vmi` may be None once a fault removes them."""

    vm: Obj
    vmi: Obj | None
    pod: Obj | None
    dv: Obj | None
    pvc: Obj | None
    node: str
    os: str

    @property
    def key(self) -> tuple[str, str]:
        return self.vm["metadata"]["namespace"], self.vm["metadata"]["name"]


def build_vm(ids: Ids, namespace: str, name: str, os_name: str, node: str, created: datetime,
             storage_class: str, memory: str = "2Gi") -> VMSet:
    template_labels = {"kubevirt.io/domain": name, "kubevirt.io/size": "small"}
    vm_labels = {"app": name, "vm.kubevirt.io/template": f"{os_name}-server-small",
                 "vm.kubevirt.io/template.namespace": "openshift", "kubevirt.io/vm": name}
    disk_name = f"{name}-rootdisk"
    vm: Obj = {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
        "metadata": {**meta(ids, name, namespace, created, vm_labels, {
            "kubevirt.io/latest-observed-api-version": "v1", "kubevirt.io/storage-observed-api-version": "v1"}),
            "finalizers": ["kubevirt.io/virtualMachineControllerFinalize"], "generation": 1},
        "spec": {
            "runStrategy": "Always",
            "dataVolumeTemplates": [{
                "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume",
                "metadata": {"name": disk_name, "creationTimestamp": None},
                "spec": {"sourceRef": {"kind": "DataSource", "name": os_name, "namespace": "openshift-virtualization-os-images"},
                         "storage": {"resources": {"requests": {"storage": "30Gi"}}}}}],
            "template": {
                "metadata": {"creationTimestamp": None, "labels": template_labels},
                "spec": {
                    "domain": {
                        "cpu": {"cores": 1, "sockets": 1, "threads": 1},
                        "memory": {"guest": memory},
                        "devices": {"disks": [{"name": "rootdisk", "disk": {"bus": "virtio"}, "bootOrder": 1},
                                              {"name": "cloudinitdisk", "disk": {"bus": "virtio"}}],
                                    "interfaces": [{"name": "default", "masquerade": {},
                                                    "macAddress": _mac(ids)}]},
                        "machine": {"type": "pc-q35-rhel9.4.0"},
                        "resources": {"requests": {"memory": memory}},
                    },
                    "evictionStrategy": "LiveMigrate",
                    "networks": [{"name": "default", "pod": {}}],
                    "terminationGracePeriodSeconds": 180,
                    "volumes": [{"name": "rootdisk", "dataVolume": {"name": disk_name}},
                                {"name": "cloudinitdisk", "cloudInitNoCloud": {
                                    "userData": "#cloud-config\nuser: cloud-user\nchpasswd: { expire: False }\n"}}],
                },
            },
        },
        "status": {},
    }
    dv, pvc = build_disk(ids, namespace, disk_name, created, storage_class, vm)
    started = created + timedelta(minutes=3)
    vmi = build_vmi(ids, vm, node, started)
    pod = build_launcher(ids, vmi, node, started)
    vm["status"] = {
        "created": True, "ready": True, "printableStatus": "Running", "runStrategy": "Always",
        "desiredGeneration": 1, "observedGeneration": 1,
        "volumeSnapshotStatuses": [{"name": "rootdisk", "enabled": True},
                                   {"name": "cloudinitdisk", "enabled": False,
                                    "reason": "Snapshot is not supported for this volumeSource type [cloudinitdisk]"}],
        "conditions": [
            {**condition("Ready", "True", started + timedelta(seconds=30)), "lastProbeTime": None},
            {**condition("LiveMigratable", "True", started), "lastProbeTime": None},
            {**condition("StorageLiveMigratable", "True", started), "lastProbeTime": None},
            {**condition("AgentConnected", "True", started + timedelta(seconds=50)), "lastProbeTime": None},
        ],
    }
    return VMSet(vm, vmi, pod, dv, pvc, node, os_name)


def _mac(ids: Ids) -> str:
    return "02:" + ":".join(f"{ids.rng.randrange(256):02x}" for _ in range(5))


def build_disk(ids: Ids, namespace: str, name: str, created: datetime, storage_class: str,
               vm: Obj) -> tuple[Obj, Obj]:
    done = created + timedelta(minutes=2)
    dv: Obj = {
        "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume",
        "metadata": {**meta(ids, name, namespace, created, {"kubevirt.io/created-by": vm["metadata"]["uid"]},
                            {"cdi.kubevirt.io/storage.usePopulator": "true"}, owner=vm)},
        "spec": {"sourceRef": {"kind": "DataSource", "name": "fedora",
                               "namespace": "openshift-virtualization-os-images"},
                 "storage": {"resources": {"requests": {"storage": "30Gi"}}}},
        "status": {"phase": "Succeeded", "progress": "100.0%", "claimName": name, "conditions": [
            condition("Bound", "True", done, "Bound", f"PVC {name} Bound", heartbeat=done),
            condition("Ready", "True", done, heartbeat=done),
            condition("Running", "False", done, "Completed", heartbeat=done)]},
    }
    pvc: Obj = {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {**meta(ids, name, namespace, created, {"app": "containerized-data-importer"}, {
            "cdi.kubevirt.io/storage.contentType": "kubevirt", "pv.kubernetes.io/bind-completed": "yes",
            "volume.kubernetes.io/storage-provisioner": "openshift-storage.rbd.csi.ceph.com"}, owner=dv),
            "finalizers": ["kubernetes.io/pvc-protection"]},
        "spec": {"accessModes": ["ReadWriteMany"], "volumeMode": "Block", "storageClassName": storage_class,
                 "resources": {"requests": {"storage": "30Gi"}}, "volumeName": f"pvc-{ids.uid()}"},
        "status": {"phase": "Bound", "accessModes": ["ReadWriteMany"], "capacity": {"storage": "30Gi"}},
    }
    return dv, pvc


def build_vmi(ids: Ids, vm: Obj, node: str, started: datetime) -> Obj:
    name, namespace = vm["metadata"]["name"], vm["metadata"]["namespace"]
    template = vm["spec"]["template"]
    labels = {**template["metadata"]["labels"], "kubevirt.io/nodeName": node}
    return {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
        "metadata": {**meta(ids, name, namespace, started, labels, {
            "kubevirt.io/latest-observed-api-version": "v1", "kubevirt.io/storage-observed-api-version": "v1",
            "kubevirt.io/vm-generation": "1"}, owner=vm),
            "finalizers": ["kubevirt.io/virtualMachineControllerFinalize", "foregroundDeleteVirtualMachine"],
            "generation": 8},
        "spec": template["spec"],
        "status": {
            "phase": "Running", "nodeName": node, "qosClass": "Burstable",
            "launcherContainerImageVersion": f"{REGISTRY}/virt-launcher:{KUBEVIRT_VERSION}",
            "activePods": {}, "guestOSInfo": {"id": "fedora", "name": "Fedora Linux", "versionId": "41"},
            "interfaces": [{"name": "default", "ipAddress": "10.129.2.15", "interfaceName": "enp1s0",
                            "mac": template["spec"]["domain"]["devices"]["interfaces"][0]["macAddress"],
                            "infoSource": "domain, guest-agent", "queueCount": 1}],
            "migrationMethod": "BlockMigration", "migrationTransport": "Unix",
            "phaseTransitionTimestamps": [
                {"phase": "Pending", "phaseTransitionTimestamp": ts(started)},
                {"phase": "Scheduling", "phaseTransitionTimestamp": ts(started)},
                {"phase": "Scheduled", "phaseTransitionTimestamp": ts(started + timedelta(seconds=12))},
                {"phase": "Running", "phaseTransitionTimestamp": ts(started + timedelta(seconds=20))}],
            "conditions": [
                {**condition("Ready", "True", started + timedelta(seconds=20)), "lastProbeTime": None},
                {**condition("LiveMigratable", "True", started), "lastProbeTime": None},
                {**condition("StorageLiveMigratable", "True", started), "lastProbeTime": None},
                {**condition("AgentConnected", "True", started + timedelta(seconds=50)), "lastProbeTime": None},
            ],
            "volumeStatus": [{"name": "rootdisk", "target": "vda",
                              "persistentVolumeClaimInfo": {"claimName": f"{name}-rootdisk",
                                                            "capacity": {"storage": "30Gi"}}},
                             {"name": "cloudinitdisk", "target": "vdb", "size": 1048576}],
        },
    }


def build_launcher(ids: Ids, vmi: Obj, node: str, started: datetime) -> Obj:
    name, namespace = vmi["metadata"]["name"], vmi["metadata"]["namespace"]
    labels = {**vmi["metadata"]["labels"], "kubevirt.io": "virt-launcher",
              "kubevirt.io/created-by": vmi["metadata"]["uid"], "vm.kubevirt.io/name": name,
              "vmi.kubevirt.io/id": name}
    labels.pop("kubevirt.io/nodeName", None)
    memory = vmi["spec"]["domain"]["resources"]["requests"]["memory"]
    image = f"{REGISTRY}/virt-launcher:{KUBEVIRT_VERSION}"
    pod_name = f"virt-launcher-{name}-{ids.suffix()}"
    started_at = started + timedelta(seconds=15)
    pod: Obj = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {**meta(ids, pod_name, namespace, started, labels, {
            "kubevirt.io/domain": name, "kubectl.kubernetes.io/default-container": "compute",
            "kubevirt.io/migrationTransportUnix": "true"}, owner=vmi), "generateName": f"virt-launcher-{name}-"},
        "spec": {
            "nodeName": node, "nodeSelector": {"kubevirt.io/schedulable": "true"},
            "readinessGates": [{"conditionType": "kubevirt.io/virtual-machine-unpaused"}],
            "restartPolicy": "Never", "schedulerName": "default-scheduler", "terminationGracePeriodSeconds": 210,
            "containers": [{"name": "compute", "image": image, "command": ["/usr/bin/virt-launcher-monitor"],
                            "resources": {"limits": {"devices.kubevirt.io/kvm": "1", "devices.kubevirt.io/tun": "1",
                                                     "devices.kubevirt.io/vhost-net": "1"},
                                          "requests": {"cpu": "100m", "memory": launcher_memory(memory),
                                                       "devices.kubevirt.io/kvm": "1", "devices.kubevirt.io/tun": "1",
                                                       "devices.kubevirt.io/vhost-net": "1",
                                                       "ephemeral-storage": "50M"}}}],
            "volumes": [{"name": "rootdisk", "persistentVolumeClaim": {"claimName": f"{name}-rootdisk"}}],
        },
        "status": {
            "phase": "Running", "qosClass": "Burstable", "hostIP": "10.0.0.2", "podIP": "10.129.2.15",
            "startTime": ts(started),
            "conditions": [
                {**condition("kubevirt.io/virtual-machine-unpaused", "True", started,
                             message="the virtual machine is not paused"), "lastProbeTime": ts(started)},
                condition("Initialized", "True", started, probe=True),
                condition("Ready", "True", started_at, probe=True),
                condition("ContainersReady", "True", started_at, probe=True),
                condition("PodScheduled", "True", started, probe=True)],
            "containerStatuses": [{"name": "compute", "image": image, "imageID": image + "@sha256:" + "1" * 64,
                                   "ready": True, "started": True, "restartCount": 0, "lastState": {},
                                   "containerID": "cri-o://" + ids.uid().replace("-", ""),
                                   "state": {"running": {"startedAt": ts(started_at)}}}],
        },
    }
    vmi["status"]["activePods"] = {pod["metadata"]["uid"]: node}
    return pod


def launcher_memory(guest: str) -> str:
    """What virt-controller asks for the launcher pod: the guest's memory and the launcher's overhead."""
    gi = float(guest[:-2]) if guest.endswith("Gi") else 2.0
    return f"{int(gi * 1024 + 242)}Mi"
