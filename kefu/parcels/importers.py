"""The kinds of import parcels declares (kefu.imports.kinds)."""

from django.utils.translation import gettext_lazy as _

from kefu.imports.kinds import import_kind

# Scan exports (扫描记录): kefu.parcels.ingest; an upload runs in the background.
SCANS = import_kind("scans", _("Scan events"), runner="kefu.parcels.uploads.run_scan_upload")
