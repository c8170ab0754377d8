"""The toolkit's row import (kefu.imports.rows) with a small importer of its own: what
every importer gets without writing it."""

import io

import pytest
from django.utils import translation

from kefu.imports.models import ImportBatch
from kefu.imports.rows import Parsed, Row, RowImporter, Stored, run_import
from kefu.orgs.tests.factories import PointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


class Codes(RowImporter):
    """Keeps each code once (in memory): enough to see the toolkit's part."""

    kind = "test_codes"
    fields = {"code": "编号", "note": "备注"}
    required = ("code",)
    chunk_rows = 2

    def __init__(self, fail_on: str = ""):
        self.kept: dict[str, str] = {}
        self.fail_on = fail_on

    def parse(self, row: Row):
        if not row.get("code"):
            raise ValueError(f"{row.header('code')} is empty")
        return row.get("code"), row.get("note")

    def store(self, batch, rows: list[Parsed], stored: Stored) -> None:
        for r in rows:
            code, note = r.value
            if code == self.fail_on:
                raise RuntimeError("disk full")
            if code in self.kept:
                stored.duplicates += 1
            else:
                self.kept[code] = note
                stored.created += 1


def run(importer, data: bytes, **kw):
    return run_import(importer, point=PointFactory(), fileobj=io.BytesIO(data), file_name="c.csv", **kw)


def test_rows_are_read_in_chunks_with_rejects_duplicates_and_blank_lines():
    importer = Codes()
    progress = []
    data = "某网点导出\n编号,备注\nA,一\n,二\n\nB,三\nA,四\n".encode("gbk")

    batch = run(importer, data, progress=lambda rows, read: progress.append(rows))

    assert (batch.state, batch.kind, batch.encoding, batch.total_rows, batch.created_rows, batch.duplicate_rows,
            batch.rejected_rows) == ("done", "test_codes", "gb18030", 4, 2, 1, 1)
    assert [(r.line, r.reason, r.raw) for r in batch.rejects.all()] == [(4, "编号 is empty", {"编号": "", "备注": "二"})]
    assert importer.kept == {"A": "一", "B": "三"}
    assert progress == [2, 4]


def test_a_mapping_names_other_headers_and_an_unknown_field_fails_the_batch():
    assert run(Codes(), "号码,说明\nA,一\n".encode(), mapping={"code": "号码", "note": "说明"}).created_rows == 1
    batch = run(Codes(), "号码\nA\n".encode(), mapping={"number": "号码"})
    assert (batch.state, batch.error) == ("failed", "Unknown fields in the column mapping: number")


def test_a_missing_column_or_a_file_over_the_limit_fails_the_batch_and_stores_nothing(settings):
    importer = Codes()
    batch = run(importer, "备注\n一\n".encode())
    assert (batch.state, batch.total_rows, importer.kept) == ("failed", 0, {})
    assert "编号" in batch.error
    settings.KEFU_MAX_IMPORT_BYTES = 10
    assert run(Codes(), "编号\nA\nB\nC\n".encode()).error == "The file is 13\xa0bytes; the limit is 10\xa0bytes."


def test_an_unexpected_error_fails_the_batch_and_keeps_the_chunks_before_it():
    """Chunks are atomic: the failing chunk (C, D) is undone, the one before it (A, B) kept."""
    importer = Codes(fail_on="C")
    batch = run(importer, "编号\nA\nB\nC\nD\n".encode())

    assert (batch.state, batch.total_rows, batch.created_rows) == ("failed", 2, 2)
    assert batch.error == "The import stopped on an unexpected error after 2 rows; the rows before it were kept."
    assert ImportBatch.objects.get(pk=batch.pk).state == "failed"
