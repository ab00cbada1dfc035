"""Which alert and cause each metric fault of the simulator gives: the Prometheus-backed cases."""

from __future__ import annotations

METRIC_FAULTS = {
    "rest-errors:virt-api": [("VirtApiRESTErrorsBurst", "api-server-overloaded"),
                             ("VirtApiRESTErrorsHigh", "api-server-overloaded")],
    "rest-forbidden:virt-handler": [("VirtHandlerRESTErrorsBurst", "forbidden"), ("VirtHandlerRESTErrorsHigh", "forbidden")],
    "rest-errors:virt-operator": [("VirtOperatorRESTErrorsBurst", "api-server-overloaded"),
                                  ("VirtOperatorRESTErrorsHigh", "api-server-overloaded")],
    "component-cpu:virt-controller": [("KubeVirtComponentExceedsRequestedCPU", "request-too-low")],
    "component-memory:virt-operator": [("KubeVirtComponentExceedsRequestedMemory", "request-too-low")],
    "vm-high-memory": [("KubevirtVmHighMemoryUsage", "memory-limit-too-low")],
    "deprecated-api": [("KubeVirtDeprecatedAPIRequested", "old-client")],
    "ssp-reconcile-failing": [("SSPFailingToReconcile", "reconcile-error")],
    "ssp-rejected-vms": [("SSPHighRateRejectedVms", "invalid-vm-specs")],
    "ssp-templates-reverted": [("SSPCommonTemplatesModificationReverted", "template-edited")],
    "kubevirt-cr-edited": [("KubeVirtCRModified", "operand-edited")],
    "hpp-shared-path": [("HPPSharingPoolPathWithOS", "pool-on-root-filesystem")],
    "guest-cpu-demand": [("GuestVCPUQueueHighWarning", "guest-demand-exceeds-vcpus"),
                         ("GuestVCPUQueueHighCritical", "guest-demand-exceeds-vcpus")],
    "guest-cpu-contention": [("GuestVCPUQueueHighWarning", "host-cpu-contention")],
    "guest-cpu-starved": [("GuestVCPUQueueHighCritical", "host-cpu-contention")],
    "guest-disk-filling": [("GuestFilesystemAlmostOutOfSpace", "guest-data-growth")],
    "guest-disk-full": [("GuestFilesystemAlmostOutOfSpace", "guest-data-growth")],
    "guest-disk-not-grown": [("GuestFilesystemAlmostOutOfSpace", "disk-larger-than-filesystem")],
    "guest-memory-swapping": [("KubeVirtVMGuestMemoryPressure", "guest-swapping")],
    "guest-memory-thrashing": [("KubeVirtVMGuestMemoryPressure", "page-cache-thrashing")],
    "guest-memory-full": [("KubeVirtVMGuestMemoryAvailableLow", "no-swap-in-guest")],
    "guest-panic-loop": [("VMNonRecoverableOSPanic", "crash-loop")],
    "guest-panic-once": [("VMNonRecoverableOSPanic", "single-crash")],
    "guest-panics-one-node": [("ClusterVMPanicDetected", "shared-node")],
    "node-cpu-vms": [("HighCPUWorkload", "vms-use-the-node")],
    "node-cpu-pods": [("HighCPUWorkload", "pods-use-the-node")],
    "node-cpu-host": [("HighCPUWorkload", "host-processes")],
    "cpu-frequency-load": [("HighNodeCPUFrequency", "sustained-load")],
    "cpu-frequency-profile": [("HighNodeCPUFrequency", "power-profile")],
    "nic-down": [("NodeNetworkInterfaceDown", "link-down")],
    "pv-filling-vm": [("PersistentVolumeFillingUp", "vm-disk-filling")],
    "pv-filling-workload": [("PersistentVolumeFillingUp", "workload-filling")],
    "deprecated-machine-type": [("DeprecatedMachineType", "deprecated-still-supported")],
}


# ClusterVMPanicDetected's other cause, on its own (with the shared-node fault, one cluster has one such finding)
ALONE = {"guest-panic-once": [("ClusterVMPanicDetected", "isolated-guests")]}
