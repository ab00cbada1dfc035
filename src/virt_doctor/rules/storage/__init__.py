"""Storage outside CDI: the hostpath provisioner, storage classes for VMs."""
