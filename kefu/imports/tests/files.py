"""Import files built in the test, as Chinese offices write them (no binary fixtures)."""

from __future__ import annotations

import csv
import io

import openpyxl

HEADER = ["留言编号", "运单号", "留言时间", "留言内容", "客户", "电话"]


def csv_bytes(
    rows: list[list[str]], *, header: list[str] | None = HEADER, delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    """`encoding` "utf-8-sig" writes a BOM; "gbk" writes what Excel on Chinese Windows saves."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def message(
    message_id: str, *, waybill: str = "YT7788990011223", at: str = "2026-11-20 09:15:00",
    text: str = "快件什么时候到", customer: str = "", phone: str = "",
) -> list[str]:
    return [message_id, waybill, at, text, customer, phone]


def xlsx_bytes(build) -> bytes:
    """A workbook made by openpyxl; `build(ws)` fills the first sheet."""
    wb = openpyxl.Workbook()
    build(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
