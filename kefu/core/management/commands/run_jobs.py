from django.core.management.base import BaseCommand

from kefu.core.jobs import JOBS, EmbeddedRunner, run_once


class Command(BaseCommand):
    help = "Run the periodic background jobs in this process (no broker needed)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args, once=False, **options):
        if once:
            for job in JOBS:
                self.stdout.write(f"{job.name}: {run_once(job)}")
            return
        runner = EmbeddedRunner()
        runner.start()
        try:
            runner.join()
        except KeyboardInterrupt:
            runner.stop()
