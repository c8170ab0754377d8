import json
import os

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kefu.orgs.models import NetworkPoint
from kefu.parcels.ingest import scans_import


class Command(BaseCommand):
    help = ("Import scan events from a CSV (UTF-8 or GBK) or Excel file. Default columns: "
            "运单号, 扫描类型, 扫描时间, 网点编号, 员工工号, 产品类型, 签收时限, 片区, 客户编号.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--point", help="only accept rows of this point code")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER",
                            help="column mapping for other layouts, e.g. --map waybill_no=快递单号")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, file, point=None, map=(), no_progress=False, **options):
        if not os.path.exists(file):
            raise CommandError(f"no such file: {file}")
        restrict = None
        if point:
            restrict = NetworkPoint.objects.filter(code=point).first()
            if restrict is None:
                raise CommandError(f"unknown point code: {point}")
        mapping = {}
        for item in map:
            field, sep, header = item.partition("=")
            if not sep:
                raise CommandError(f"--map takes FIELD=HEADER, got {item!r}")
            mapping[field.strip()] = header.strip()
        size = os.path.getsize(file)
        bar = tqdm(total=size, unit="B", unit_scale=True, disable=no_progress, desc="import")

        def progress(rows: int, position: int) -> None:
            bar.set_postfix(rows=rows)
            bar.update(max(0, position - bar.n))

        with open(file, "rb") as fh:
            batch = scans_import(fileobj=fh, file_name=os.path.basename(file), point=restrict,
                                 mapping=mapping, progress=progress)
        bar.update(size - bar.n)
        bar.close()
        summary = {"batch": batch.pk, "state": batch.state, "rows": batch.total_rows,
                   "created": batch.created_rows, "duplicates": batch.duplicate_rows,
                   "rejected": batch.rejected_rows, "error": batch.error}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        for r in batch.rejects.all()[:20]:
            self.stderr.write(f"line {r.line}: {r.reason}")
        if batch.state == "failed":
            raise CommandError(batch.error)
