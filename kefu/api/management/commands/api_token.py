"""`kefu api-token USERNAME [--name NAME]`: create an API token and print its key.

Only the raw key goes to stdout (scripts capture it); it is shown this once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kefu.api.services import api_token_create


class Command(BaseCommand):
    help = "Create a REST API token for USERNAME and print the key (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="what the token is for (default: cli)")

    def handle(self, *args, username, name, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("No user named %(username)s.") % {"username": username}) from None
        if not user.is_active:
            raise CommandError(_("The user %(username)s is inactive.") % {"username": username})
        _token, raw_key = api_token_create(user=user, name=name)
        self.stdout.write(raw_key)
