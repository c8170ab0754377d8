"""The row parser: a scan file read a row at a time, each row checked by
`cells.RowReader`, in chunks (`shape.Chunk`). It reads every format the
importer takes: spreadsheets, quoted CSV cells, the batch API's rows. Large CSV
files whose every record is one line take the column parser (`columnar`)
instead, in the parser process. The importer runs it in a thread, or the
parser process (`worker`) for a large file.
"""

from __future__ import annotations

from kefu.parcels.ingest.cells import RowReader, too_few_columns
from kefu.parcels.ingest.shape import COPY_LINE, DELIVERY, Chunk


def parse(rows, index, *, points, restricted, store, fileobj, chunk_rows, reader=None):
    """The row-by-row parser: one pass over the rows, each checked by the
    `cells.RowReader` (which caches what repeats), in chunks of `chunk_rows`."""
    pg = store.vendor == "postgresql"
    reader = reader or RowReader(index, points=points, restricted=restricted, store=store)
    parse_row = reader.row
    out: list = []
    rejects: list = []
    areas: set = set()
    couriers: set = set()
    customers: set = set()
    products: set = set()
    # PostgreSQL stores a new waybill's scans with a plain INSERT, which a repeated scan would fail.
    # The point is part of the key: the same scan under another point still makes that point's waybill.
    dedupe = pg
    seen: set = set()
    duplicates = 0
    read = 0
    for line, row in rows:
        # A chunk is `chunk_rows` rows of the file, whatever becomes of them (the column parser cuts
        # the same chunks): where a chunk ends decides which rows one waybill upsert sees.
        if read == chunk_rows:
            yield Chunk(out, rejects, reader.take_new_points(), _tell(fileobj), areas, couriers, customers,
                        products, reader.take_days(), reader.point_ids(), duplicates)
            out, rejects, seen, duplicates, read = [], [], set(), 0, 0
            areas, couriers, customers, products = set(), set(), set(), set()
        read += 1
        try:
            staged = parse_row(row)
        except (ValueError, IndexError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else too_few_columns()
            rejects.append((line, reason, row))
            continue
        pid, wb, kind, t, emp, product, p, area, cust = staged
        if dedupe:
            key = (pid, wb, kind, t)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
        if emp and kind == DELIVERY:
            couriers.add((pid, emp))
        if product:
            products.add(product)
        if area:
            areas.add((pid, area))
        if cust:
            customers.add((pid, cust))
        out.append(COPY_LINE % staged if pg else staged)
    yield Chunk(out, rejects, reader.take_new_points(), -1, areas, couriers, customers, products,
                reader.take_days(), reader.point_ids(), duplicates)


def _tell(fileobj) -> int:
    if fileobj is None:
        return 0
    try:
        return fileobj.tell()
    except (OSError, ValueError):
        return 0
