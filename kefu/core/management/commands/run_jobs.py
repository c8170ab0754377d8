from django.core.management.base import BaseCommand

from kefu.core.jobs import EmbeddedRunner, all_jobs, run_once


class Command(BaseCommand):
    help = "Run the periodic background jobs in this process (no broker needed)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--demo", action="store_true",
                            help="also run the demo's simulated couriers (they acknowledge warnings)")

    def handle(self, *args, once=False, demo=False, **options):
        jobs = all_jobs(demo=demo)
        if once:
            for job in jobs:
                self.stdout.write(f"{job.name}: {run_once(job)}")
            return
        runner = EmbeddedRunner(jobs)
        runner.start()
        try:
            runner.join()
        except KeyboardInterrupt:
            runner.stop()
