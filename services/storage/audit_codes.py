"""Small numbers for the audit table's `kind` and `role` columns, which every event repeats.

The payload holds the names, and the hash covers them there; the columns are only for searching,
which a number of one byte does as well as a word of ten (migration 0028: some 65 bytes a
generated case). The table `audit_code` holds the same pairs, so that the database says what
its numbers mean without us. A number is never given to another name: a new kind or role takes
the next one, added to `audit_code` by the migration that ships it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import SmallInteger
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

KIND_CODES = {
    "created": 1,
    "transition": 2,
    "refusal": 3,
    "fact": 4,
    "amended": 5,
    "migrated": 6,
}
ROLE_CODES = {
    "applicant": 1,
    "caseworker": 2,
    "approver": 3,
    "auditor": 4,
    "admin": 5,
    "system": 6,
    "anonymous": 7,
}
# What a name without a number is sent as: no row holds it, so a search for it finds nothing.
NO_CODE = 0


class AuditCode(SQLModel, table=True):
    """What a number in the audit table's `kind` or `role` column stands for."""

    __tablename__ = "audit_code"

    column_name: str = Field(primary_key=True, max_length=16)
    code: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str = Field(max_length=32)


class _Coded(TypeDecorator[str]):
    impl = SmallInteger
    cache_ok = True
    codes: ClassVar[dict[str, int]]
    names: ClassVar[dict[int, str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.names = {code: name for name, code in cls.codes.items()}

    def process_bind_param(self, value: str | None, dialect: Any) -> int | None:
        return None if value is None else self.codes.get(str(value), NO_CODE)

    def process_result_value(self, value: int | None, dialect: Any) -> str | None:
        return None if value is None else self.names.get(value, str(value))


class KindCode(_Coded):
    cache_ok = True
    codes = KIND_CODES


class RoleCode(_Coded):
    cache_ok = True
    codes = ROLE_CODES
