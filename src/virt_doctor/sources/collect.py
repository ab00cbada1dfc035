"""Write what a live scan read as a must-gather tree (.tar.gz), so `scan --from` it gives the same findings.

Objects go where `oc adm inspect` puts them (one list file per kind and namespace; cluster-scoped kinds under
cluster-scoped-resources/), logs under pods/<pod>/<container>/<container>/logs/, the scan time in `timestamp`.
What was listed where travels in `virt-doctor-seen.yaml`: a live LIST covers every namespace, which no file
layout can say, and a kind refused stays "not seen". Secrets are never written; ConfigMaps without their data.
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from virt_doctor.sources.dump import RawDump
from virt_doctor.sources.resources import BY_KIND
from virt_doctor.sources.seenfile import SEEN_FILE

NEVER_WRITTEN = frozenset({"Secret"})
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def go_time(moment: datetime) -> str:
    """The `timestamp` file's Go time string (must-gather writes `date` output like this)."""
    return f"{moment:%Y-%m-%d %H:%M:%S}.000000000 +0000 UTC m=+0.000000001"


def collect_files(raw: RawDump, at: datetime, keep_configmap_data: bool = False) -> dict[str, bytes]:
    """The dump's files by path: lists of objects, logs, the timestamp and the record of what was seen."""
    lists: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for obj in raw.objects:
        kind = obj.get("kind", "")
        res = BY_KIND.get(kind)
        if res is None or kind in NEVER_WRITTEN:
            continue
        if kind == "ConfigMap" and not keep_configmap_data:
            obj = {k: v for k, v in obj.items() if k not in ("data", "binaryData")}
        ns = (obj.get("metadata") or {}).get("namespace") or ""
        where = f"namespaces/{ns}/{res.group_dir}/{res.plural}" if res.namespaced \
            else f"cluster-scoped-resources/{res.group_dir}/{res.plural}"
        lists[where].append(obj)
    files: dict[str, bytes] = {"timestamp": f"{go_time(at)}\n".encode()}
    for where, items in sorted(lists.items()):
        files[f"{where}.yaml"] = yaml.dump({"apiVersion": "v1", "kind": "List", "items": items}, Dumper=_Dumper,
                                           sort_keys=False, width=1000).encode()
    for (ns, pod, container), log in sorted(raw.logs.items()):
        for which in ("current", "previous"):
            lines = getattr(log, which)
            if lines:
                files[f"namespaces/{ns}/pods/{pod}/{container}/{container}/logs/{which}.log"] = \
                    ("\n".join(lines) + "\n").encode()
    seen = [{"kind": s.kind, "namespace": s.namespace, "state": state, **({"reason": raw.reasons[s]}
                                                                            if s in raw.reasons else {})}
            for s, state in sorted(raw.scopes.items()) if s.kind not in NEVER_WRITTEN]
    files[SEEN_FILE] = yaml.safe_dump({"apiVersion": "virt-doctor/v1", "kind": "Seen",
                                       "source": raw.location, "scopes": seen}, sort_keys=False).encode()
    return files


def write_archive(files: dict[str, bytes], out: Path, top: str) -> Path:
    """A .tar.gz of the files under `top/`, written to a temporary name and renamed: never half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for path, data in files.items():
                info = tarfile.TarInfo(f"{top}/{path}")
                info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
                tar.addfile(info, io.BytesIO(data))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def as_json(files: dict[str, bytes]) -> bytes:
    """A manifest of what was written (for --output json)."""
    return orjson.dumps(sorted(files))
