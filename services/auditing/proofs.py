"""Proofs over the audit log's Merkle tree (workflow/merkle.py): the root at a size, that one
event is in the log, that a later log extends an earlier one. Answers carry hex hashes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from services.errors import InvalidRequest
from services.storage.unit_of_work import UnitOfWork
from workflow.merkle import consistency_proof, inclusion_paths, leaf_hash, root


def tree(uow: UnitOfWork, size: int | None = None) -> dict[str, Any]:
    size = _size(uow, size, "tree_size")
    return {"tree_size": size, "root_hash": root(_leaves(uow, size)).hex()}


def inclusion(uow: UnitOfWork, seq: int, size: int | None = None) -> dict[str, Any]:
    """That event `seq` is in the log of `size` events (default: the whole log now)."""
    size = _size(uow, size, "tree_size")
    if not 1 <= seq <= size:
        raise InvalidRequest(f"event {seq} is not in a log of {size} events", field="seq")
    return inclusions(list(uow.audit.payloads(1, size)), [seq])[0]


def inclusions(lines: Sequence[str], seqs: Iterable[int]) -> list[dict[str, Any]]:
    """That each event of `seqs` is in the log whose events 1..n are `lines`: one pass over
    the log for all of them (an archive package proves every event of its cases)."""
    seqs = list(seqs)
    leaves = [leaf_hash(line) for line in lines]
    top = root(leaves).hex()
    paths = inclusion_paths([seq - 1 for seq in seqs], leaves)
    return [
        {
            "seq": seq,
            "leaf_index": seq - 1,
            "tree_size": len(lines),
            "root_hash": top,
            "line": lines[seq - 1],
            "inclusion_path": [h.hex() for h in path],
        }
        for seq, path in zip(seqs, paths, strict=True)
    ]


def consistency(uow: UnitOfWork, first: int, second: int | None = None) -> dict[str, Any]:
    """That the log of `second` events (default: now) extends the log of its first `first`."""
    second = _size(uow, second, "second")
    if not 1 <= first <= second:
        raise InvalidRequest(f"first ({first}) must be from 1 to second ({second})", field="first")
    leaves = _leaves(uow, second)
    return {
        "first": first,
        "second": second,
        "first_hash": root(leaves[:first]).hex(),
        "second_hash": root(leaves).hex(),
        "consistency_path": [h.hex() for h in consistency_proof(first, leaves)],
    }


def _size(uow: UnitOfWork, size: int | None, field: str) -> int:
    head = uow.audit.head()
    logged = head.seq if head is not None else 0
    if size is None:
        size = logged
    if not 1 <= size <= logged:
        raise InvalidRequest(
            f"the log holds {logged} events; {field} {size} is not one of its sizes", field=field
        )
    return size


def _leaves(uow: UnitOfWork, size: int) -> list[bytes]:
    leaves = [leaf_hash(line) for line in uow.audit.payloads(1, size)]
    if len(leaves) != size:  # sequence numbers run 1, 2, 3, ... (verification checks it)
        raise InvalidRequest(f"the log's first {size} events are not all there", field="tree_size")
    return leaves
