from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve kefu with waitress, with the background jobs embedded unless a broker is set."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, threads, **options):
        from waitress import serve

        from config.wsgi import application
        from kefu.core.jobs import EmbeddedRunner

        if settings.KEFU_EMBEDDED_JOBS:
            EmbeddedRunner().start()
            self.stdout.write("background jobs: embedded")
        else:
            self.stdout.write("background jobs: Celery (run `celery -A config worker -B`)")
        self.stdout.write(f"serving on http://{host}:{port}/")
        serve(application, host=host, port=port, threads=threads, ident="kefu")
