"""Money: an exact amount in one currency, always with two decimals, parsed once where it comes in.

`Money` is a `Decimal` (so storage, pydantic and JSON take it as one) that also knows its
currency and keeps two decimals through addition and subtraction. The audit encoder writes only
`Money` as an amount, so an amount that skipped the parsing edge cannot reach the hash chain.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

CENTS = Decimal("0.01")
NO_CURRENCY = "XXX"  # ISO 4217's code for "no currency": an amount not yet tied to a programme


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were added, subtracted or compared as one."""


class Money(Decimal):
    """An amount of `currency`, quantised to two decimals; more precision than that is refused."""

    __slots__ = ("currency",)
    currency: str

    def __new__(cls, amount: Decimal | int | str, currency: str) -> Money:
        try:
            value = Decimal(amount)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"{amount!r} is not an amount of money") from None
        if not value.is_finite():
            raise ValueError(f"{amount!r} is not an amount of money")
        exact = value.quantize(CENTS)
        if exact != value:
            raise ValueError(f"{amount} has more than two decimals")
        money = super().__new__(cls, exact)
        money.currency = currency
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_cents(cls, cents: int, currency: str) -> Money:
        return cls(Decimal(cents).scaleb(-2), currency)

    @property
    def cents(self) -> int:
        return int(self.scaleb(2))

    def _same(self, other: Any) -> Decimal:
        if isinstance(other, Money) and other.currency != self.currency:
            raise CurrencyMismatch(f"{self} {self.currency} and {other} {other.currency}")
        if isinstance(other, float):
            raise TypeError("money does not mix with floats")
        return Decimal(other)

    def __add__(self, other: Any) -> Money:
        return Money(Decimal(self) + self._same(other), self.currency)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Money:
        return Money(Decimal(self) - self._same(other), self.currency)

    def __rsub__(self, other: Any) -> Money:
        return Money(self._same(other) - Decimal(self), self.currency)

    def __neg__(self, context: Any = None) -> Money:
        return Money(-Decimal(self), self.currency)

    def __abs__(self) -> Money:
        return Money(abs(Decimal(self)), self.currency)

    def __mul__(self, factor: Any) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("money is multiplied by whole numbers only; share it with allocation")
        return Money(Decimal(self) * factor, self.currency)

    __rmul__ = __mul__

    def __reduce__(self) -> tuple[Any, ...]:
        return (Money, (str(self), self.currency))

    def __copy__(self) -> Money:
        return self

    def __deepcopy__(self, memo: Any) -> Money:
        return self

    def __repr__(self) -> str:
        return f"Money('{self}', '{self.currency}')"


def money_or_none(amount: Decimal | int | str | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount, currency)
