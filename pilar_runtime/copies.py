"""Local copies of other services' records, kept by ``aggregate_version`` and written once per transaction.

A consumer handles a batch of events in one transaction: the versions its copies hold are read with one query per
collection, for every aggregate of the batch at once, and the copies kept are written with one bulk write per
collection before commit — instead of a version read and an upsert per event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pymongo import UpdateOne

if TYPE_CHECKING:
    from pilar_runtime.mongo import UnitOfWork


class Copies:
    """A transaction's copies: the versions known to be stored, and the fields kept but not written yet."""

    def __init__(self) -> None:
        # collection → id → the version stored (None: no copy yet); what this transaction kept included.
        self.versions: dict[str, dict[str, int | None]] = {}
        # collection → id → the fields to set, those of every version kept in this transaction merged in order.
        self.kept: dict[str, dict[str, dict[str, Any]]] = {}

    async def keep(self, uow: UnitOfWork, collection: str, doc_id: str, fields: dict[str, Any], version: int) -> bool:
        stored = await self._version(uow, collection, doc_id)
        if stored is not None and stored >= version:
            return False
        self.versions[collection][doc_id] = version
        # Merged as the successive upserts would have left the document: a later version's fields win.
        kept = self.kept.setdefault(collection, {})
        kept[doc_id] = {**kept.get(doc_id, {}), **fields, "version": version}
        return True

    async def _version(self, uow: UnitOfWork, collection: str, doc_id: str) -> int | None:
        versions = self.versions.get(collection)
        if versions is None:
            # First copy of this collection in the transaction: the batch's aggregates read together (a copy's id
            # is its aggregate's, whose version it follows).
            versions = self.versions[collection] = await _stored_versions(uow, collection, uow.aggregate_ids)
        if doc_id not in versions:
            versions.update(await _stored_versions(uow, collection, {doc_id}))
        return versions[doc_id]

    async def write(self, uow: UnitOfWork, collection: str) -> None:
        """Write the copies kept in ``collection`` so far (before reading it, or at commit)."""
        kept = self.kept.pop(collection, None)
        if kept:
            writes = [UpdateOne({"_id": doc_id}, {"$set": fields}, upsert=True) for doc_id, fields in kept.items()]
            await uow.db[collection].bulk_write(writes, session=uow.session)

    async def flush(self, uow: UnitOfWork) -> None:
        for collection in list(self.kept):
            await self.write(uow, collection)


async def _stored_versions(uow: UnitOfWork, collection: str, ids: set[str]) -> dict[str, int | None]:
    versions: dict[str, int | None] = dict.fromkeys(ids)
    if ids:
        found = uow.db[collection].find({"_id": {"$in": sorted(ids)}}, {"version": 1}, session=uow.session)
        versions.update({d["_id"]: d.get("version", 0) async for d in found})
    return versions
