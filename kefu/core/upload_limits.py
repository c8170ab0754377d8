"""Upload size limits that hold while the body streams in, not after it is stored.

Django parses a multipart body the first time request.POST or request.FILES is
touched (CsrfViewMiddleware touches it before any view runs) and writes every file
to a temporary file as it goes: a form's size check comes after the whole upload was
read and written to disk. `upload_refused` puts `UploadLimit` first among the upload
handlers of one request, then parses the body:

- a Content-Length over the limit (plus FORM_SLACK for the form's other fields and
  the multipart framing) is refused before a byte of the body is read;
- otherwise the file bytes are counted as they arrive and the parsing stops at the
  first byte over the limit (StopUpload, the rest is not read); the temporary file
  written so far is closed, which deletes it.

Django under WSGI reads a body without Content-Length (chunked) as empty: such an
upload arrives as a form without a file. The counter is what stops one where a
server hands such a body over.

The handler must be in place before the CSRF check reads the body, so the view is
`csrf_exempt`, calls `upload_refused` first and checks the token afterwards
(`csrf_protect` on the part that handles a body that fits). A refused request only
gets the page back with the error: it changes nothing.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict

# Room for the other fields of an upload form and the multipart framing, in bytes.
FORM_SLACK = 64 * 1024


class UploadLimit(FileUploadHandler):
    """Refuses a multipart body whose files pass `limit` bytes in all; `refused_size`
    is then the request's Content-Length (what the user sent, near enough the file's
    size), else None."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.refused_size: int | None = None
        self._content_length = 0
        self._received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self._content_length = content_length
        if content_length > self.limit + FORM_SLACK:
            self.refused_size = content_length
            return QueryDict(encoding=encoding), MultiValueDict()  # parsed: nothing, nothing read
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self._received += len(raw_data)
        if self._received > self.limit:
            self.refused_size = max(self._content_length, self._received)
            raise StopUpload(connection_reset=True)  # stop reading; the other handlers' files are closed
        return raw_data

    def file_complete(self, file_size: int):
        return None  # the next handler keeps the file


def upload_refused(request: HttpRequest, *, limit: int) -> int | None:
    """Parse the request's body with at most `limit` bytes of files (see the module).
    Returns the size refused, or None when the body fits (or is not an upload).
    Call it before anything else reads the body."""
    if hasattr(request, "_files"):
        raise RuntimeError("The body was read before the upload limit was set: is the view csrf_exempt?")
    handler = UploadLimit(request, limit=limit)
    request.upload_handlers.insert(0, handler)
    request.POST  # noqa: B018 (parses the body through the handlers)
    return handler.refused_size
