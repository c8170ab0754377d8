"""Test helpers for uploads: a multipart body and a request input that counts what is read."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart

# Not the test client's MULTIPART_CONTENT object: the client then passes the body through as is.
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


class CountingInput(io.BytesIO):
    """wsgi.input that remembers how many bytes the server side read."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def multipart_body(data: bytes, name: str = "file.csv", **fields) -> bytes:
    return encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields})


def raw_post(client, path: str, body: bytes, *, content_length: int | None = None, **extra):
    """POST `body` as it is, announcing `content_length` (default: its real length; "" for none,
    as a chunked request arrives); returns (response, the input, to see how much was read)."""
    stream = CountingInput(body)
    length = len(body) if content_length is None else content_length
    response = client.generic("POST", path, body, content_type=MULTIPART,
                              **{"CONTENT_LENGTH": str(length), "wsgi.input": stream}, **extra)
    return response, stream
