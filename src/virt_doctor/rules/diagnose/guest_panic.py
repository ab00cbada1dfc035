"""Guest OS crashes (kubevirt_vmi_guest_os_panic_total): how many per VM in the last day, and where they ran."""

from __future__ import annotations

PANICS = "kubevirt_vmi_guest_os_panic_total"
# panics of each VM in the last 24 hours; a counter that appeared within the day counts whole (HCO's form)
PANICS_24H = (f"floor((sum by (namespace, name) ({PANICS}) unless sum by (namespace, name) ({PANICS} offset 24h)) "
              f"or sum by (namespace, name) (increase({PANICS}[24h])))")
CRASH_LOOP = 5  # more than this many in a day: kubevirt's critical definition
