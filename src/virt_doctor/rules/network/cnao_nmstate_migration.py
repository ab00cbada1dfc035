"""CnaoNmstateMigration: CNAO deploys kubernetes-nmstate while the standalone NMState operator does not run it."""

from __future__ import annotations

from collections.abc import Iterator

from virt_doctor.rules.api import Detection, Evidence, NotSeen, Snapshot, Subject, a, rule


@rule("CnaoNmstateMigration", needs=("NetworkAddonsConfig",), reads=("NMState@all",),
      causes=("nmstate-operator-missing", "unknown"))
def cnao_nmstate_migration(snap: Snapshot) -> Iterator[Detection | NotSeen]:
    """The NetworkAddonsConfig asks for nmstate and no NMState CR shows the standalone operator in charge."""
    for nac in snap.kind("NetworkAddonsConfig"):
        if "nmstate" not in a.spec(nac):
            continue
        subject = Subject("NetworkAddonsConfig", a.namespace(nac), a.name(nac))
        if snap.kind("NMState"):
            continue  # the standalone operator runs nmstate: CNAO hands its deployment over
        if not snap.listed("NMState"):
            yield NotSeen(subject, snap.seen.why_unseen("NMState"))
            continue
        yield Detection(subject, "nmstate-operator-missing",
                        f"NetworkAddonsConfig {a.name(nac)} deploys kubernetes-nmstate and no NMState CR exists: "
                        "the standalone NMState operator is not installed",
                        evidence=(Evidence(object=a.ref(nac), path="spec.nmstate", value=a.spec(nac)["nmstate"]),
                                  Evidence(object="NMState (cluster-wide)", note="none")))
