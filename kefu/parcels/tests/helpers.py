"""Build scan files in tests (no binary fixtures)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import socket
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
HEADER = ["运单号", "扫描类型", "扫描时间", "网点编号", "员工工号", "产品类型", "签收时限", "片区", "客户编号"]


def scan_csv(rows: list[list[str]], *, encoding: str = "utf-8", header: list[str] | None = None) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header or HEADER)
    for row in rows:
        writer.writerow(row + [""] * (len(header or HEADER) - len(row)))
    return io.BytesIO(text.getvalue().encode(encoding))


def scan(wb: str, kind: str, at: str, point: str = "P1", emp: str = "", product: str = "",
         promised: str = "", area: str = "", customer: str = "") -> list[str]:
    return [wb, kind, at, point, emp, product, promised, area, customer]


def at(text: str) -> dt.datetime:
    """A "YYYY-MM-DD HH:MM" Asia/Shanghai time."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SH)


def redis_up() -> bool:
    """Whether the machine's Redis answers on 127.0.0.1:6379 (the Celery tests need it)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False
