"""KubeVirt core: virt-handler, virt-controller, virt-api, virt-operator, VMs and VMIs."""
