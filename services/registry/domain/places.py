"""Which administrative level each kind of institution and worker lives at (a desa, or a kecamatan for
sub-district bodies), checked against the Kemendagri reference."""

from __future__ import annotations

from contracts.events.common import InstitutionKind, WorkerRole
from pilar_runtime.regions import Level, require

# Village bodies live in a desa/kelurahan; LKS and Orsos may also serve a whole kecamatan.
INSTITUTION_LEVELS: dict[InstitutionKind, tuple[Level, ...]] = {
    InstitutionKind.WKSBM: (Level.DESA,),
    InstitutionKind.KARANG_TARUNA: (Level.DESA,),
    InstitutionKind.POKJA: (Level.DESA,),
    InstitutionKind.PRANATA_SOSIAL: (Level.DESA,),
    InstitutionKind.LKS: (Level.DESA, Level.KECAMATAN),
    InstitutionKind.ORSOS: (Level.DESA, Level.KECAMATAN),
}

# A TKSK serves a kecamatan; a PSM a desa or kecamatan; officers work for the district; a narasumber may come from
# the province's Dinas Sosial too (seed 004's FGD had provincial speakers).
WORKER_LEVELS: dict[WorkerRole, tuple[Level, ...]] = {
    WorkerRole.TKSK: (Level.KECAMATAN,),
    WorkerRole.PSM: (Level.DESA, Level.KECAMATAN),
    WorkerRole.PENYULUH_SOSIAL: (Level.KABUPATEN, Level.KECAMATAN, Level.DESA),
    WorkerRole.PENDAMPING_PKH: (Level.KABUPATEN, Level.KECAMATAN, Level.DESA),
    WorkerRole.NARASUMBER: (Level.PROVINSI, Level.KABUPATEN, Level.KECAMATAN, Level.DESA),
    WorkerRole.PETUGAS: (Level.KABUPATEN, Level.KECAMATAN, Level.DESA),
}


def institution_region(kind: str, code: str) -> str:
    """The dotted code if it exists at a level allowed for ``kind``; RegionError naming the code otherwise."""
    return require(code, *INSTITUTION_LEVELS[InstitutionKind(kind)])


def worker_region(role: str, code: str) -> str:
    return require(code, *WORKER_LEVELS[WorkerRole(role)])
