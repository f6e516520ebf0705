"""Sealing a person's data under their own key (AES-256-GCM) as events are written, and opening
it for whoever reads them: an erased person's data reads as "[erased]"."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.storage.privacy import PersonalKey
from services.storage.unit_of_work import UnitOfWork
from workflow.personal import ERASED, OWNER, SEALED, Personal, owners_in, transform

NONCE_BYTES = 12


def _bound_to(owner: int) -> bytes:
    # Sealed text moved to another person's entry does not open under their key.
    return f"grantflow personal data of user {owner}".encode()


class Seals:
    """Seals texts for the events of one unit of work; a person's key is made on first use."""

    def __init__(self, uow: UnitOfWork, now: dt.datetime | None = None) -> None:
        self.uow = uow
        self.now = now or dt.datetime.now(dt.UTC)
        # Each person's key once per event, not once per field: the session's identity map
        # holds rows weakly, so a row nothing keeps is read again.
        self._keys: dict[int, bytes | None] = {}

    def seal(self, value: Personal) -> dict[str, Any] | str:
        key = self._key(value.owner)
        if key is None:
            return ERASED  # nothing new is kept of an erased person
        nonce = os.urandom(NONCE_BYTES)
        box = AESGCM(key).encrypt(nonce, value.text.encode("utf-8"), _bound_to(value.owner))
        return {OWNER: value.owner, SEALED: base64.b64encode(nonce + box).decode("ascii")}

    def _key(self, owner: int) -> bytes | None:
        if owner not in self._keys:
            self._keys[owner] = self._read_or_make(owner)
        return self._keys[owner]

    def _read_or_make(self, owner: int) -> bytes | None:
        row = self.uow.privacy.sealing_key(owner)
        if row is None:
            key = AESGCM.generate_key(bit_length=256)
            self.uow.privacy.add_key(
                PersonalKey(
                    user_id=owner, key=base64.b64encode(key).decode("ascii"), created_at=self.now
                )
            )
            return key
        return None if row.key is None else base64.b64decode(row.key)


def _opener(keys: Mapping[int, str | None]) -> Callable[[Mapping[str, Any]], str]:
    def opened(sealed: Mapping[str, Any]) -> str:
        owner = int(sealed[OWNER])
        key = keys.get(owner)
        if key is None:
            return ERASED
        raw = base64.b64decode(sealed[SEALED])
        try:
            text = AESGCM(base64.b64decode(key)).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(owner)
            )
        except InvalidTag:
            return ERASED  # not this person's: the chain's own check says whether it was altered
        return text.decode("utf-8")

    return opened


def open_bodies(uow: UnitOfWork, bodies: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The events with every sealed value opened, or "[erased]" where its person was erased.

    Events written before personal data was sealed (release 0.2) name people in the clear; for
    an erased person those names and reasons are hidden here too, though the stored text keeps
    them (docs/PRIVACY.md says what that means for an old export)."""
    listed = [dict(b) for b in bodies]
    people: set[int] = set()
    for body in listed:
        owners_in(body, people)
        if isinstance(body.get("actor_id"), int):
            people.add(body["actor_id"])
    keys = uow.privacy.keys(people)
    opened = _opener(keys)
    result = []
    for body in listed:
        body = transform(body, opened)
        if body.get("actor_id") in keys and keys[body["actor_id"]] is None:
            body.update(actor_name=ERASED, reason=None if body.get("reason") is None else ERASED)
        result.append(body)
    return result


def words_of(uow: UnitOfWork, user_id: int) -> tuple[set[str], set[int]]:
    """What the person wrote in the events they acted in, opened while their key still exists,
    and those events' numbers: erasure blanks these texts where mail copied them."""
    opened = _opener(uow.privacy.keys({user_id}))
    words: set[str] = set()
    seqs: set[int] = set()

    def theirs(sealed: Mapping[str, Any]) -> None:
        if int(sealed[OWNER]) == user_id:
            words.add(opened(sealed))

    for seq, payload in uow.personal_data.payloads_by(user_id):
        seqs.add(seq)
        transform(json.loads(payload), theirs)
    return words - {ERASED}, seqs
