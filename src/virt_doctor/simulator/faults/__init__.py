"""Named faults: each changes a healthy simulated cluster the way a real failure would, and says what it expects.

A fault registers with @fault(name, alert, cause, help) (registry.py), picks its target (targets.py), changes the
cluster through shared mutations (mutations.py) or its own, and records what it did with `cluster.note(...)`, which
the tests compare with the scan's findings. One module per family; importing this package registers them all.
"""

from virt_doctor.simulator.faults import (  # noqa: F401  (importing registers)
    components,
    handlers,
    metrics,
    migration,
    nodes,
    operators,
    storage,
    storms,
    upstream_adds,
    vms_on_node,
    vms_unhealthy,
)
from virt_doctor.simulator.faults.registry import ALIASES, FAULTS, FaultSpec, fault, inject, resolve

__all__ = ["ALIASES", "FAULTS", "FaultSpec", "fault", "inject", "resolve"]
