from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kefu.demo import services
from kefu.orgs.models import Role, User

DEMO_URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = _("Build the demo network point (21 points, staff, customers, 30 days of "
             "platform messages) on the configured database; --serve then serves it.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=services.DEFAULT_SEED,
                            help=_("Random seed: the same seed gives the same demo."))
        parser.add_argument("--days", type=int, default=30,
                            help=_("Days of history ending now."))
        parser.add_argument("--messages-per-day", type=int, default=1000,
                            help=_("Platform messages on an ordinary weekday."))
        parser.add_argument("--inbound-per-day", type=int, default=10_000,
                            help=_("Inbound parcels a day, imported as scan events (two days)."))
        parser.add_argument("--reset", action="store_true",
                            help=_("Delete the demo point's data and build it again."))
        parser.add_argument("--serve", action="store_true",
                            help=_("Serve kefu on 127.0.0.1:8000 afterwards."))

    def handle(self, *args, seed, days, messages_per_day, inbound_per_day, reset, serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if reset and services.demo_reset():
            self.stdout.write(_("Deleted the previous demo point."))
        if services.demo_exists():
            self.stdout.write(_("The demo point already exists; nothing generated "
                                "(use --reset to build it again)."))
        else:
            self.stdout.write(_("Building the demo point (seed %(seed)s, %(days)s days, "
                                "%(n)s messages a day)…") % {"seed": seed, "days": days, "n": messages_per_day})
            try:
                summary = services.demo_build(seed=seed, days=days, messages_per_day=messages_per_day,
                                              inbound_per_day=inbound_per_day)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(self.style.SUCCESS(
                _("Built %(point)s: %(tickets)s tickets, %(open)s open, in %(s).1f s.")
                % {"point": summary.point.name, "tickets": summary.tickets,
                   "open": summary.open_tickets, "s": summary.seconds}
            ))
        self._print_logins()
        if serve:
            call_command("serve", host="127.0.0.1", port=8000, demo=True)

    def _print_logins(self) -> None:
        names = dict(User.objects.filter(username__in=[u for u, _r in services.DEMO_LOGINS])
                     .values_list("username", "display_name"))
        header = (_("username"), _("password"), _("role"), _("name"))
        rows = [(u, services.DEMO_PASSWORD, str(Role(r).label), names.get(u, ""))
                for u, r in services.DEMO_LOGINS]
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
        self.stdout.write("")
        for row in [header, *rows]:
            self.stdout.write("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)))
        self.stdout.write("")
        self.stdout.write(self.style.WARNING(
            _("Demo only: every demo user has the password %(pw)s. Never use this database "
              "for real data.") % {"pw": services.DEMO_PASSWORD}
        ))
        self.stdout.write(_("Open %(url)s") % {"url": DEMO_URL})


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
