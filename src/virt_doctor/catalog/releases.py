"""Product releases and the upstream releases they ship: OpenShift Virtualization 4.N -> HCO, KubeVirt, CDI, ...

Downstream, the operators report the product's version (HCO's status.versions says 4.18.3); the catalog's
version facts are upstream releases (kubevirt v1.4.0, hyperconverged-cluster-operator v1.16.0). Comparing the
two is comparing unlike numbers, so a product version is first mapped to the upstream releases its minor
release ships (releases/openshift-virtualization.yaml, each row naming the branch it was read from).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

_RELEASE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")
PRODUCT_MAJOR = 4  # OpenShift Virtualization 4.x; no upstream operator has reached a major release 4


@dataclass(frozen=True)
class ProductRelease:
    """One minor release of the product and what it ships."""

    product: str  # "4.18"
    checked: str  # where the row was read
    ships: Mapping[str, str]  # upstream operator -> its release


@dataclass(frozen=True)
class Releases:
    name: str
    rows: tuple[ProductRelease, ...]

    def row(self, version: str) -> ProductRelease | None:
        """The row of a product version's minor release ('4.18.3' -> the 4.18 row), None when not in the table."""
        key = release_key(version)
        return next((r for r in self.rows if key is not None and (release_key(r.product) or ())[:2] == key[:2]), None)


def release_key(text: str) -> tuple[int, int, int] | None:
    """'v1.5.2' / '4.18' / 'v1.8.0-rc.1' -> (1, 5, 2); None when the text is no release number."""
    match = _RELEASE.match(text.strip())
    if not match:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def line_of(release: str) -> str:
    """'v1.5.2' -> 'v1.5': the release line."""
    key = release_key(release)
    return f"v{key[0]}.{key[1]}" if key else release


def said(releases: str) -> str:
    """A catalog fact naming a release per line, as a person reads it: 'v1.6.0, v1.5.2' -> 'v1.6.0 (in the v1.5
    line: v1.5.2)'."""
    first, *others = [part.strip() for part in releases.split(",")]
    return f"{first} (in the {', '.join(f'{line_of(o)} line: {o}' for o in others)})" if others else first


def is_product_version(version: str) -> bool:
    """Whether an operator's reported version is the product's (4.x), not its own upstream release."""
    key = release_key(version)
    return key is not None and key[0] == PRODUCT_MAJOR


@cache
def product_releases() -> Releases:
    """The table, read once."""
    text = (resources.files("virt_doctor.catalog") / "releases" / "openshift-virtualization.yaml").read_text("utf-8")
    data = yaml_loader()(text)
    rows = tuple(ProductRelease(str(row.pop("product")), str(row.pop("checked")),
                                {str(k): str(v) for k, v in row.items()}) for row in data["rows"])
    return Releases(str(data["product"]), rows)


def yaml_loader() -> Callable[[str], Any]:
    """yaml-rs where installed (it parses the catalog four times faster, every command starts with it), else
    libyaml's safe loader: the same documents either way."""
    try:
        import yaml_rs

        return cast(Callable[[str], Any], yaml_rs.loads)
    except ImportError:  # pragma: no cover - yaml-rs is a pinned dependency
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return lambda text: yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
