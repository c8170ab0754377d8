"""Evidence on tickets (photos, call recordings, PDFs): checked by type against the
file's first bytes, size-limited, stored under opaque names and served only after a
permission check (selectors.attachment_access)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.orgs.models import User
from kefu.tickets import events, permissions
from kefu.tickets.models import Attachment, Event, Message, Ticket

ALLOWED_ATTACHMENT_TYPES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF",),
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "audio/wav": (b"RIFF",),
    "audio/amr": (b"#!AMR",),
    "video/mp4": (),  # ftyp box at offset 4, checked below
}
EXTENSION_TYPES = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "pdf": "application/pdf", "mp3": "audio/mpeg", "wav": "audio/wav",
    "amr": "audio/amr", "mp4": "video/mp4",
}


def _sniff_type(head: bytes, declared: str) -> bool:
    if declared == "video/mp4":
        return head[4:8] == b"ftyp"
    prefixes = ALLOWED_ATTACHMENT_TYPES.get(declared, ())
    return any(head.startswith(p) for p in prefixes)


@transaction.atomic
def attachment_add(
    *, ticket: Ticket, actor: User, upload: UploadedFile, message: Message | None = None
) -> Attachment:
    """Keep a piece of evidence (photo, call recording, PDF). The type is taken
    from the name's extension and checked against the file's first bytes. Whoever may
    write on the ticket may attach (its staff, its customer's contact)."""
    permissions.check_attach(actor, ticket)
    if upload.size > settings.KEFU_MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.")
                               % {"mb": settings.KEFU_MAX_ATTACHMENT_BYTES // (1024 * 1024)}})
    name = (upload.name or "file").rsplit("/", 1)[-1][:200]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = EXTENSION_TYPES.get(ext)
    if content_type is None:
        raise ValidationError({"file": _("This type of file is not accepted: %(name)s") % {"name": name}})
    upload.seek(0)
    head = upload.read(16)
    if not _sniff_type(head, content_type):
        raise ValidationError({"file": _("The file's content does not match its type: %(name)s") % {"name": name}})
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        ticket=ticket, message=message, original_name=name, content_type=content_type,
        size=upload.size, sha256=digest.hexdigest(), uploaded_by=actor,
    )
    attachment.file.save("evidence", upload, save=False)
    attachment.save()
    events.record(ticket=ticket, verb=Event.Verb.ATTACHED, actor=actor, name=name, size=upload.size)
    return attachment
