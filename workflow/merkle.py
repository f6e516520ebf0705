"""A Merkle tree over the audit log, as RFC 9162 (Certificate Transparency 2.0) hashes one: the
leaves are the events' lines in sequence order; a proof that one event is in the log, and that
a later log extends an earlier one, is a few dozen hashes instead of the whole log.
tools/verify_audit_proof.py checks the proofs without grantflow (docs/AUDIT.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

LEAF, NODE = b"\x00", b"\x01"  # domain separation: a leaf can never pass for a node


def leaf_hash(line: str) -> bytes:
    """A leaf: one event's line, the UTF-8 bytes the chain hashes (without the newline)."""
    return hashlib.sha256(LEAF + line.encode("utf-8")).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 2.1.1, level by level: a node without a partner goes up as it is,
    which gives the same tree as splitting at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1: the hashes that lead from leaf `index` to the root."""
    return _path(index, len(leaves), lambda low, high: root(leaves[low:high]))


def inclusion_paths(indices: Sequence[int], leaves: Sequence[bytes]) -> list[list[bytes]]:
    """PATH for each of several leaves, each subtree's root computed once: proving every event
    of a programme costs about n·log n hashes of the log, not n for each event."""
    roots: dict[tuple[int, int], bytes] = {}

    def subtree(low: int, high: int) -> bytes:
        if (low, high) not in roots:
            roots[low, high] = root(leaves[low:high])
        return roots[low, high]

    return [_path(index, len(leaves), subtree) for index in indices]


def _path(index: int, size: int, subtree: Callable[[int, int], bytes]) -> list[bytes]:
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    low, high = 0, size
    while high - low > 1:
        split = _split(high - low)
        if index < low + split:
            path.append(subtree(low + split, high))
            high = low + split
        else:
            path.append(subtree(low, low + split))
            low += split
    return path[::-1]


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1: that the tree of the first `first` leaves is a
    prefix of the tree of all of them."""
    if not 0 < first <= len(leaves):
        raise ValueError(f"no consistency proof from {first} to {len(leaves)} leaves")
    return _subproof(first, leaves, complete=True)


def _subproof(m: int, leaves: Sequence[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete=complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], complete=False), root(leaves[:k])]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)
