"""Read-only SQL over a version's Parquet tables (items, shapes, attributes, feature tables).

Each query gets a fresh in-memory DuckDB whose only tables are the ones given: each Parquet file is
registered as an Arrow dataset (a view: nothing is copied, and no file path appears in the
catalog), then external access is switched off and the configuration locked. From then on a
query cannot read a file path, a URL, another project's data or an extension, nor switch any of
that back on. On top, anything but one SELECT statement is refused before it runs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class SqlRefused(ValueError):
    """The query is not allowed: not a single read-only statement, or it reaches outside the
    version's tables."""


class SqlError(RuntimeError):
    """The query is allowed but failed (syntax, unknown column, out of memory...)."""


class SqlTimeout(SqlError):
    """The query ran past its time limit and was interrupted."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # more rows existed than max_rows


def check_read_only(sql: str) -> None:
    """Refuse anything but exactly one SELECT (WITH ... SELECT and FROM-first included)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise SqlError(f"The query could not be parsed: {_first_line(error)}") from None
    if len(statements) != 1:
        raise SqlRefused(f"Send exactly one statement; this query has {len(statements)}.")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        name = getattr(kind, "name", str(kind))
        raise SqlRefused(f"Only read-only SELECT queries are allowed, not {name}.")


def query(
    sql: str,
    tables: Mapping[str, str | Path],
    *,
    max_rows: int = 1000,
    timeout_s: float = 10.0,
    memory_limit: str = "512MB",
) -> QueryResult:
    """Run one SELECT over `tables` ({name: Parquet file}); at most `max_rows` rows come back."""
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1.")
    check_read_only(sql)
    connection = _sandbox(tables, memory_limit)
    timer = threading.Timer(timeout_s, connection.interrupt)
    timer.start()
    try:
        cursor = connection.execute(sql)
        rows = cursor.fetchmany(max_rows + 1)
        columns = [column[0] for column in cursor.description or []]
    except duckdb.PermissionException as error:
        raise SqlRefused(
            "The query reaches outside this version's tables (files, URLs and settings are not "
            f"available): {_first_line(error)}"
        ) from None
    except duckdb.InterruptException:
        raise SqlTimeout(f"The query ran longer than {timeout_s:g} s and was stopped.") from None
    except duckdb.Error as error:
        if not timer.is_alive():
            raise SqlTimeout(
                f"The query ran longer than {timeout_s:g} s and was stopped."
            ) from None
        raise SqlError(_first_line(error)) from None
    finally:
        timer.cancel()
        connection.close()
    return QueryResult(columns=columns, rows=rows[:max_rows], truncated=len(rows) > max_rows)


def _sandbox(tables: Mapping[str, str | Path], memory_limit: str) -> duckdb.DuckDBPyConnection:
    import pyarrow.dataset

    connection = duckdb.connect(
        ":memory:",
        config={
            "threads": 1,
            "memory_limit": memory_limit,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    try:
        for name, path in sorted(tables.items()):
            if not _TABLE_NAME.fullmatch(name):
                raise ValueError(f"Table name {name!r} is not a plain identifier.")
            connection.register(name, pyarrow.dataset.dataset(str(path), format="parquet"))
        # Order matters: the tables are registered while files may still be opened; after these
        # two statements nothing can open a file, and nothing can turn it back on.
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
