from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve kefu with waitress, with the background jobs embedded unless a broker is set."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--demo", action="store_true",
                            help="also run the demo's simulated couriers (they acknowledge warnings)")

    def handle(self, *args, host, port, threads, demo=False, **options):
        from waitress import serve

        from config.wsgi import application
        from kefu.core.jobs import JOBS, EmbeddedRunner, Job

        if settings.KEFU_EMBEDDED_JOBS:
            jobs = list(JOBS)
            if demo:
                jobs.append(Job("demo_couriers", 60, "kefu.demo.tasks.demo_couriers_job"))
            EmbeddedRunner(jobs).start()
            self.stdout.write("background jobs: embedded")
        else:
            self.stdout.write("background jobs: Celery (run `celery -A config worker -B`)")
        self.stdout.write(f"serving on http://{host}:{port}/")
        serve(application, host=host, port=port, threads=threads, ident="kefu")
