from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.sql import SqlError, SqlRefused, SqlTimeout, query


@pytest.fixture
def tables(tmp_path: Path) -> dict[str, Path]:
    items = tmp_path / "items.parquet"
    shapes = tmp_path / "shapes.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "split": ["train", "val", "train"]}), items)
    pq.write_table(
        pa.table({"item_id": [1, 1, 2, 3], "label": ["car", "car", "truck", "car"]}), shapes
    )
    pq.write_table(pa.table({"secret": ["other project"]}), tmp_path / "other.parquet")
    return {"items": items, "shapes": shapes}


def test_select_joins_the_version_tables(tables: dict[str, Path]) -> None:
    result = query(
        "SELECT i.split, count(*) AS shapes FROM items i JOIN shapes s ON s.item_id = i.id "
        "GROUP BY i.split ORDER BY i.split",
        tables,
    )

    assert (result.columns, result.rows, result.truncated) == (
        ["split", "shapes"],
        [("train", 3), ("val", 1)],
        False,
    )


def test_with_and_from_first_queries_are_reads(tables: dict[str, Path]) -> None:
    assert query("WITH t AS (SELECT id FROM items) SELECT max(id) FROM t", tables).rows == [(3,)]
    assert query("FROM items SELECT count(*);", tables).rows == [(3,)]


def test_row_limit_holds_and_says_so(tables: dict[str, Path]) -> None:
    result = query("SELECT * FROM range(100000) ORDER BY range", tables, max_rows=5)

    assert (result.rows, result.truncated) == ([(0,), (1,), (2,), (3,), (4,)], True)
    assert query("SELECT id FROM items", tables, max_rows=3).truncated is False


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_parquet('{other}')",
        "SELECT * FROM read_parquet('{items}')",  # even the version's own file, by path
        "SELECT * FROM read_parquet('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_csv('http://127.0.0.1:9/data.csv')",
        "SELECT * FROM read_parquet('s3://bucket/items.parquet')",
        "SELECT * FROM glob('/*')",
        "SELECT * FROM '{other}'",
    ],
)
def test_files_and_urls_are_refused(tables: dict[str, Path], tmp_path: Path, sql: str) -> None:
    statement = sql.format(other=tmp_path / "other.parquet", items=tables["items"])

    with pytest.raises(SqlRefused, match="reaches outside this version's tables"):
        query(statement, tables)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("COPY items TO '/tmp/loupe-leak.csv'", "not COPY"),
        ("ATTACH '/tmp/loupe-other.db' AS other", "not ATTACH"),
        ("INSTALL httpfs", "not LOAD"),
        ("LOAD httpfs", "not LOAD"),
        ("SET enable_external_access = true", "not SET"),
        ("PRAGMA version", "not PRAGMA"),
        ("CREATE TABLE t AS SELECT 1", "not CREATE"),
        ("DROP VIEW items", "not DROP"),
        ("EXPLAIN SELECT 1", "not EXPLAIN"),
        ("SELECT 1; SELECT 2", "exactly one statement; this query has 2"),
        ("SELECT 1; COPY items TO '/tmp/loupe-leak.csv'", "exactly one statement"),
        ("", "exactly one statement; this query has 0"),
    ],
)
def test_anything_but_one_select_is_refused_before_it_runs(
    tables: dict[str, Path], sql: str, message: str
) -> None:
    with pytest.raises(SqlRefused, match=message):
        query(sql, tables)

    assert not Path("/tmp/loupe-leak.csv").exists()
    assert not Path("/tmp/loupe-other.db").exists()


def test_configuration_cannot_be_reopened_from_a_select(tables: dict[str, Path]) -> None:
    result = query("SELECT current_setting('enable_external_access')", tables)

    assert result.rows == [(False,)]


def test_long_query_is_stopped_at_its_time_limit(tables: dict[str, Path]) -> None:
    with pytest.raises(SqlTimeout, match="longer than 0.3 s"):
        query(
            "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b",
            tables,
            timeout_s=0.3,
        )


def test_bad_sql_is_an_error_not_a_refusal(tables: dict[str, Path]) -> None:
    with pytest.raises(SqlError, match="could not be parsed"):
        query("SELEC 1", tables)
    with pytest.raises(SqlError, match="nope"):
        query("SELECT nope FROM items", tables)


def test_table_names_must_be_identifiers(tables: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="plain identifier"):
        query("SELECT 1", {"items; DROP": tables["items"]})
