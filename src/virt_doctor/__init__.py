"""virt-doctor: the KubeVirt / OpenShift Virtualization alert runbooks, as software."""

__version__ = "0.1.0"
