import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from kefu.core.tz import SHANGHAI
from kefu.parcels.sweep import sweep


class Command(BaseCommand):
    help = "Run the early-warning sweep as of a time (default now) and print a JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("--at", help='Asia/Shanghai local time, "YYYY-MM-DD HH:MM"')

    def handle(self, *args, at=None, **options):
        when = None
        if at:
            try:
                when = dt.datetime.strptime(at.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
            except ValueError:
                try:
                    when = dt.datetime.fromisoformat(at.strip())
                    when = when if when.tzinfo else when.replace(tzinfo=SHANGHAI)
                except ValueError:
                    raise CommandError('--at must look like "2026-11-20 14:30"') from None
        result = sweep(at=when)
        if when is not None:
            result["at"] = when.astimezone(SHANGHAI).isoformat()
        self.stdout.write(json.dumps(result, ensure_ascii=False))
