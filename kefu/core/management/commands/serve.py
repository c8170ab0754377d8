import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Serve kefu: waitress threads in this process (any platform), or with --workers N "
            "gunicorn worker processes (Linux, macOS); the background jobs run embedded unless a broker is set.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=None,
                            help="threads per process (default: 8 in one process, 2 per gunicorn worker)")
        parser.add_argument("--workers", type=int, default=1,
                            help="worker processes (more than 1 uses gunicorn: two per core use every core)")
        parser.add_argument("--demo", action="store_true",
                            help="also run the demo's simulated couriers (they acknowledge warnings)")

    def handle(self, *args, host, port, threads, workers=1, demo=False, **options):
        from django.core.wsgi import get_wsgi_application

        application = get_wsgi_application()

        jobs = None
        if settings.KEFU_EMBEDDED_JOBS:
            if workers > 1:
                # One jobs process beside the workers, so a job never runs twice at once.
                jobs = subprocess.Popen([sys.executable, "-m", "kefu.cli", "run-jobs", *(["--demo"] if demo else [])])
                self.stdout.write(f"background jobs: embedded (process {jobs.pid})")
            else:
                self._start_jobs_thread(demo)
                self.stdout.write("background jobs: embedded")
        else:
            self.stdout.write("background jobs: Celery (run `celery -A config worker -B`)")
        self.stdout.write(f"serving on http://{host}:{port}/", ending="\n")
        self.stdout.flush()
        try:
            if workers > 1:
                # Few threads per worker: a process's threads take turns for the interpreter lock,
                # and on SQLite the one holding the write lock would wait its turn while the others
                # run (more workers of fewer threads served more API writes: bench/README.md).
                _gunicorn(application, host=host, port=port, workers=workers, threads=threads or 2)
            else:
                from waitress import serve

                serve(application, host=host, port=port, threads=threads or 8, ident="kefu")
        finally:
            if jobs is not None:
                jobs.terminate()
                jobs.wait(timeout=30)

    @staticmethod
    def _start_jobs_thread(demo: bool) -> None:
        from kefu.core.jobs import EmbeddedRunner, all_jobs

        EmbeddedRunner(all_jobs(demo=demo)).start()


def _gunicorn(application, *, host: str, port: int, workers: int, threads: int) -> None:
    """gunicorn with threaded workers (keep-alive connections), started from here
    so `kefu serve` stays the one command."""
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
                "keepalive": 30, "accesslog": None, "graceful_timeout": 10,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    App().run()
