"""The notices of the import toolkit (kefu.notifications.kinds). Params: ref (the
import) and subject (its outcome)."""

from django.utils.translation import gettext_lazy as _

from kefu.notifications.kinds import notice_kind

IMPORT_DONE = notice_kind("import_done", _("Import finished"), _("Import %(ref)s finished: %(subject)s"))
