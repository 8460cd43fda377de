"""Bulk reads and writes of the engine's tables: COPY on PostgreSQL, one executemany on SQLite."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

import polars as pl
from sqlalchemy import Connection, text

# rows in the order of the table's primary key insert several times faster into SQLite's b-tree
_KEY_ORDER = {
    "benchmark_snapshots": ["window_code", "cohort_key", "metric"],
    "benchmark_org_values": ["org_id", "window_code"],
    "profile_distributions": ["cohort_key", "question", "answer"],
}
# tables without row-level security take COPY directly; the others go through a staging table
_NO_RLS = {"benchmark_snapshots", "profile_distributions"}
_CHUNK_ROWS = 50_000
_SAFE_CODE = re.compile(r"[A-Za-z0-9_\-=;*+]{1,80}")


def read_frame(connection: Connection, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows of `sql` as a frame of `schema` (COPY ... TO STDOUT on PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        buffer = io.BytesIO()
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"copy ({sql}) to stdout with (format csv)") as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=schema)
    rows = connection.exec_driver_sql(sql).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def literal(value: int | str) -> str:
    """A SQL literal of an id or of a code this engine made (period, window, cohort key, metric code)."""
    if isinstance(value, int):
        return str(int(value))
    if not _SAFE_CODE.fullmatch(value):
        raise ValueError(f"not a code: {value!r}")
    return f"'{value}'"


def literals(values: Iterable[int | str]) -> str:
    """A parenthesised SQL list of `literal`s (never empty: `(NULL)` matches nothing)."""
    parts = [literal(v) for v in values]
    return f"({', '.join(parts) or 'NULL'})"


def write_frame(connection: Connection, table: str, frame: pl.DataFrame) -> None:
    """Insert every row of `frame` (its columns are the table's) in bulk."""
    if frame.height == 0:
        return
    columns = frame.columns
    if connection.dialect.name == "postgresql":
        _copy_in(connection, table, frame)
        return
    frame = frame.sort(_KEY_ORDER.get(table, columns[:1]))
    frame = frame.with_columns(
        [pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S.%f") for c in columns if frame.schema[c] == pl.Datetime]
    )
    placeholders = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"insert into {table} ({', '.join(columns)}) values ({placeholders})", list(frame.iter_rows())
    )


def _copy_in(connection: Connection, table: str, frame: pl.DataFrame) -> None:
    names = ", ".join(frame.columns)
    # bytea travels in COPY's text form: \x and the hex digits
    frame = frame.with_columns(
        [
            pl.concat_str(pl.lit("\\x"), pl.col(c).bin.encode("hex")).alias(c)
            for c in frame.columns
            if frame.schema[c] == pl.Binary
        ]
    )
    target = table
    if table not in _NO_RLS:
        # COPY cannot load a table under row-level security: stage the rows, then one INSERT ... SELECT
        target = f"staging_{table}"
        connection.execute(
            text(f"create temporary table {target} on commit drop as select {names} from {table} where false")
        )
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"copy {target} ({names}) from stdin with (format csv)") as copy:
        for chunk in frame.iter_slices(_CHUNK_ROWS):
            copy.write(chunk.write_csv(include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f%z"))
    if target != table:
        connection.execute(text(f"insert into {table} ({names}) select {names} from {target}"))
        connection.execute(text(f"drop table {target}"))
