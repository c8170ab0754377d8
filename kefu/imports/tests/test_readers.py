import datetime as dt
import io

import pytest
from django.utils import translation

from kefu.core.business_time import SHANGHAI
from kefu.imports.readers import ImportFileError, detect_encoding, open_table, parse_local_datetime
from kefu.imports.tests.files import HEADER, csv_bytes, message

REQUIRED = {"留言编号", "运单号", "留言时间", "留言内容"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_detect_encoding_utf8_bom_and_gbk():
    text = "留言内容,派件员态度很差"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(text.encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding(text.encode("gbk")) == "gb18030"


def test_a_utf8_sample_cut_inside_a_character_is_still_utf8():
    sample = ("留言" * 10).encode("utf-8")[:-1]
    assert detect_encoding(sample) == "utf-8"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20 09:15:00", dt.datetime(2026, 11, 20, 9, 15, tzinfo=SHANGHAI)),
        ("2026-11-20 09:15", dt.datetime(2026, 11, 20, 9, 15, tzinfo=SHANGHAI)),
        ("2026/11/20 09:15", dt.datetime(2026, 11, 20, 9, 15, tzinfo=SHANGHAI)),
        ("2026/11/20 09:15:30", dt.datetime(2026, 11, 20, 9, 15, 30, tzinfo=SHANGHAI)),
        ("2026年11月20日 09:15", dt.datetime(2026, 11, 20, 9, 15, tzinfo=SHANGHAI)),
        (" 20261120091500 ", dt.datetime(2026, 11, 20, 9, 15, tzinfo=SHANGHAI)),
        ("2026-11-20T09:15:00+00:00", dt.datetime(2026, 11, 20, 9, 15, tzinfo=dt.UTC)),
    ],
)
def test_parse_local_datetime(text, expected):
    assert parse_local_datetime(text, SHANGHAI) == expected


@pytest.mark.parametrize("text", ["", "昨天下午", "2026-02-30 10:00", "11/20/2026 09:15"])
def test_parse_local_datetime_rejects_what_is_not_a_time(text):
    with pytest.raises(ValueError):
        parse_local_datetime(text, SHANGHAI)


def test_the_header_is_found_below_title_rows_and_blank_header_cells_are_named_by_position():
    data = ("XX网点留言导出\r\n\r\n" "留言编号,运单号,,留言时间,留言内容\r\n" "M1,YT7788990011223,x,2026-11-20 09:15,文本\r\n").encode()

    table = open_table(io.BytesIO(data), "a.csv", required=REQUIRED)

    assert table.header == ["留言编号", "运单号", "column_3", "留言时间", "留言内容"]
    assert list(table.rows) == [
        (4, {"留言编号": "M1", "运单号": "YT7788990011223", "column_3": "x",
             "留言时间": "2026-11-20 09:15", "留言内容": "文本"}),
    ]


def test_cells_beyond_the_header_are_kept_as_extra():
    data = csv_bytes([message("M1") + ["多出来的"]])

    table = open_table(io.BytesIO(data), "a.csv", required=REQUIRED)

    (line, row), = list(table.rows)
    assert (line, row["__extra__"], row["留言编号"]) == (2, "多出来的", "M1")
    assert set(row) == set(HEADER) | {"__extra__"}


def test_a_header_after_the_search_window_is_not_found():
    data = ("标题\r\n" * 10).encode() + csv_bytes([message("M1")])

    with pytest.raises(ImportFileError, match="The columns 留言内容、留言时间、留言编号、运单号 are missing"):
        open_table(io.BytesIO(data), "a.csv", required=REQUIRED)


def test_semicolon_separated_file():
    data = csv_bytes([message("M1")], delimiter=";")

    table = open_table(io.BytesIO(data), "a.csv", required=REQUIRED)

    assert [row["留言编号"] for _line, row in table.rows] == ["M1"]
