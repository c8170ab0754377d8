"""The kinds of import tickets declares (kefu.imports.kinds)."""

from django.utils.translation import gettext_lazy as _

from kefu.imports.kinds import import_kind

# Platform messages (留言) from the brand's or the shop platform's export: kefu/tickets/message_import.py.
PLATFORM_MESSAGES = import_kind("platform_messages", _("Platform messages"))
