"""The alerts the catalog holds beyond the seeds' runbooks (from the operators' current rule code)."""

from __future__ import annotations

# upstream alerts the seeds do not have (issue 11: the current runbooks), added so far
BEYOND_THE_SEEDS = {"NoReadyVirtAPI", "LowReadyVirtAPICount", "NoReadyVirtHandler", "LowReadyVirtHandlerCount",
                    "NoLeadingVirtController", "VirtLauncherPodsStuckFailed", "GuestVCPUQueueHighWarning",
                    "GuestVCPUQueueHighCritical", "HCOOperatorConditionsUnhealthy", "HCOMultiArchGoldenImagesDisabled",
                    "HCOGoldenImageWithNoArchitectureAnnotation", "HCOGoldenImageWithNoSupportedArchitecture",
                    "ClusterVMPanicDetected", "CnaoNmstateMigration", "DeprecatedMachineType",
                    "GuestFilesystemAlmostOutOfSpace", "HAControlPlaneDown", "HCOMisconfiguredDescheduler",
                    "HighCPUWorkload", "HighNodeCPUFrequency", "KubeVirtVMGuestMemoryAvailableLow",
                    "KubeVirtVMGuestMemoryPressure", "KubemacpoolMACCollisionDetected", "NodeNetworkInterfaceDown",
                    "PersistentVolumeFillingUp", "VMNonRecoverableOSPanic",
                    "VirtualMachineInstanceHasEphemeralHotplugVolume"}
