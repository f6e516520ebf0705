"""Counting the statements a request sends to the database: the budget's measure (issue 16).

`statements_sent(engine)` collects every statement the engine sends while it is open, except
transaction control. On SQLite, SQLAlchemy sends one INSERT per row where PostgreSQL takes one
multi-row INSERT (SQLite cannot return the new ids in order): those rows count as the one
statement they are on PostgreSQL. tests/test_statement_budget.py checks the budget with it;
bench/quick.py prints the counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

BUDGET = 8
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    sent: list[str] = []
    one_per_row = engine.dialect.name == "sqlite"

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        line = " ".join(statement.split())[:160]
        if line.upper().startswith(TRANSACTION_CONTROL):
            return
        if one_per_row and line.startswith("INSERT") and sent and sent[-1] == line:
            return  # the next row of the same multi-row INSERT
        sent.append(line)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)
