import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from benchmarks.metrics import readers
from benchmarks.metrics.readers import ROW, FileFormat, RowError, cell_column, read_table, table_from_records


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def rows_of(result: readers.ReadResult) -> list[tuple]:
    assert result.table is not None, result.errors
    return list(result.table.cells.iter_rows())


def workbook_bytes(tmp_path: Path, rows: list[tuple]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / "metrics.xlsx"
    workbook.save(path)
    return path


def test_csv_with_bom_reads_header_and_numbers_rows_from_line_two(tmp_path):
    path = write(tmp_path, "m.csv", b"\xef\xbb\xbfperiod,metric,value\n2025-01,fcr_rate,70\n")
    result = read_table(path, "m.csv")
    assert result.errors == ()
    assert result.table.header == ("period", "metric", "value")
    assert result.table.format is FileFormat.CSV
    assert rows_of(result) == [(2, "2025-01", "fcr_rate", "70")]


def test_semicolon_delimiter_is_detected_from_the_header(tmp_path):
    path = write(tmp_path, "m.csv", b"period;metric;value\r\n2025-01;fcr_rate;70,5\r\n")
    result = read_table(path, "m.csv")
    assert result.table.header == ("period", "metric", "value")
    assert result.table.decimal_comma is True
    assert rows_of(result) == [(2, "2025-01", "fcr_rate", "70,5")]


def test_blank_lines_are_skipped_and_keep_line_numbers(tmp_path):
    path = write(
        tmp_path, "m.csv", b"period,metric,value\n\n2025-01,fcr_rate,70\n  \n2025-02,fcr_rate,71\n\n"
    )
    assert [r[0] for r in rows_of(read_table(path, "m.csv"))] == [3, 5]


def test_row_with_more_cells_than_the_header_is_an_error(tmp_path):
    path = write(tmp_path, "m.csv", b"period,metric,value\n2025-01,fcr_rate,70,oops\n2025-02,fcr_rate,71,\n")
    result = read_table(path, "m.csv")
    assert result.errors == (RowError(2, None, "oops", "row has more cells than the header's 3"),)


def test_latin1_file_is_not_utf8_and_names_the_line(tmp_path):
    path = write(
        tmp_path, "m.csv", "period,metric,value\n2025-01,fcr_rate,70\n2025-02,caf\xe9,1\n".encode("latin-1")
    )
    result = read_table(path, "m.csv")
    assert result.table is None
    assert result.errors == (RowError(3, None, None, "file is not UTF-8 text: save it as CSV UTF-8"),)


def test_binary_junk_named_csv_is_refused(tmp_path):
    path = write(tmp_path, "m.csv", b"period\x00\x01\x02\xff\xfe binary")
    assert read_table(path, "m.csv").errors == (
        RowError(None, None, None, "file is binary, not CSV, XLSX or JSON"),
    )


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \n\n"])
def test_empty_file_is_refused(tmp_path, content):
    path = write(tmp_path, "m.csv", content)
    assert read_table(path, "m.csv").errors == (RowError(None, None, None, "file is empty"),)


def test_header_only_csv_gives_an_empty_table(tmp_path):
    result = read_table(write(tmp_path, "m.csv", b"period,metric,value\n"), "m.csv")
    assert result.table.header == ("period", "metric", "value")
    assert result.table.cells.height == 0


def test_png_renamed_xlsx_is_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(50)
    result = read_table(write(tmp_path, "m.xlsx", png), "m.xlsx")
    assert result.errors == (RowError(None, None, None, "file named .xlsx is not an XLSX workbook"),)


def test_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "m.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert read_table(path, "m.xlsx").errors == (
        RowError(None, None, None, "zip archive is not an XLSX workbook"),
    )


def test_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 2**20))
    (error,) = read_table(path, "bomb.xlsx").errors
    assert error.row is None
    assert "refused as a zip bomb" in error.reason
    assert "xl/worksheets/sheet1.xml" in error.reason


def test_workbook_over_the_uncompressed_limit_is_refused(tmp_path, monkeypatch):
    path = workbook_bytes(tmp_path, [("period", "fcr_rate"), ("2025-01", 70)])
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED", 100)
    (error,) = read_table(path, "metrics.xlsx").errors
    assert error.reason.startswith("XLSX workbook is too large")


def test_good_xlsx_reads_first_sheet_with_sheet_row_numbers(tmp_path):
    rows = [
        ("period", "fcr_rate", "cost_per_ticket"),
        ("2025-01", 70, 15.5),
        (None, None, None),
        (datetime(2025, 2, 1), 71.25, 16),
    ]
    path = workbook_bytes(tmp_path, rows)
    result = read_table(path, "whatever.bin")
    assert result.errors == ()
    assert result.table.format is FileFormat.XLSX
    assert result.table.header == ("period", "fcr_rate", "cost_per_ticket")
    assert rows_of(result) == [(2, "2025-01", "70", "15.5"), (4, "2025-02", "71.25", "16")]


def test_json_list_of_records_is_numbered_from_one(tmp_path):
    records = [{"period": "2025-01", "metric": "fcr_rate", "value": 70.5}, {"period": "2025-02", "value": 3}]
    result = read_table(write(tmp_path, "m.json", json.dumps(records).encode()), "m.json")
    assert result.table.format is FileFormat.JSON
    assert result.table.header == ("period", "metric", "value")
    assert rows_of(result) == [(1, "2025-01", "fcr_rate", "70.5"), (2, "2025-02", None, "3")]


def test_json_envelope_carries_its_kind(tmp_path):
    document = {"kind": "metrics", "records": [{"period": "2025-01", "metric": "fcr_rate", "value": 1}]}
    result = read_table(write(tmp_path, "upload.txt", json.dumps(document).encode()), "upload.txt")
    assert result.table.kind == "metrics"
    assert result.table.cells.height == 1


def test_record_that_is_not_an_object_is_an_error():
    result = table_from_records([{"period": "2025-01"}, [1, 2]])
    assert result.errors == (RowError(2, None, "[1, 2]", "record is not an object"),)


def test_invalid_json_is_refused(tmp_path):
    (error,) = read_table(write(tmp_path, "m.json", b'[{"period": '), "m.json").errors
    assert error.reason.startswith("file is not valid JSON")


def test_progress_rises_to_one(tmp_path):
    lines = "".join(f"2025-01,fcr_rate,{i % 100}\n" for i in range(50_000))
    path = write(tmp_path, "m.csv", ("period,metric,value\n" + lines).encode())
    seen: list[float] = []
    result = read_table(path, "m.csv", progress=seen.append)
    assert result.table.cells.height == 50_000
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert 0 <= seen[0] < 1


def test_cells_columns_follow_header_positions(tmp_path):
    path = write(tmp_path, "m.csv", b"period,period\n2025-01,2025-02\n")
    cells = read_table(path, "m.csv").table.cells
    assert cells.columns == [ROW, cell_column(0), cell_column(1)]
