"""UploadLimit: a multipart body over the limit is refused before it is read, or as soon
as its files pass the limit; nothing of it is left on disk."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from kefu.core import upload_limits
from kefu.core.tests.uploads import MULTIPART, CountingInput, multipart_body
from kefu.core.upload_limits import FORM_SLACK, upload_refused


@pytest.fixture(autouse=True)
def temp_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every file goes to a temporary file, as a large one does
    return tmp_path


def request_for(body: bytes, *, content_length: int | str | None = None):
    stream = CountingInput(body)
    length = len(body) if content_length is None else content_length
    request = RequestFactory().generic("POST", "/upload/", body, content_type=MULTIPART,
                                       **{"CONTENT_LENGTH": str(length), "wsgi.input": stream})
    return request, stream


def test_a_content_length_over_the_limit_is_refused_before_a_byte_is_read(temp_dir):
    body = multipart_body(b"x" * 200_000, note="hello")
    request, stream = request_for(body)

    refused = upload_refused(request, limit=200_000 - FORM_SLACK)

    assert refused == len(body)
    assert stream.bytes_read == 0
    assert (dict(request.POST), dict(request.FILES)) == ({}, {})
    assert list(temp_dir.iterdir()) == []


def test_a_file_over_the_limit_stops_the_reading_and_leaves_no_temporary_file(temp_dir, monkeypatch):
    # Content-Length within the limit and its slack: the file's own bytes are counted.
    monkeypatch.setattr(upload_limits, "FORM_SLACK", 10 * 1024 * 1024)
    body = multipart_body(b"x" * 1_000_000)
    request, stream = request_for(body)

    refused = upload_refused(request, limit=100_000)

    assert refused == len(body)
    assert 100_000 < stream.bytes_read < 300_000  # a chunk or two past the limit, not the million
    assert dict(request.FILES) == {}
    assert list(temp_dir.iterdir()) == []


def test_a_file_of_exactly_the_limit_is_kept_whole():
    data = bytes(range(256)) * 400
    request, stream = request_for(multipart_body(data, note="hello"))

    refused = upload_refused(request, limit=len(data))

    assert refused is None
    assert stream.bytes_read == len(multipart_body(data, note="hello"))
    assert request.FILES["file"].read() == data and request.POST["note"] == "hello"


def test_a_file_one_byte_over_the_limit_is_refused():
    request, _ = request_for(multipart_body(b"x" * 100_001))
    assert upload_refused(request, limit=100_000) is not None
    assert dict(request.FILES) == {}


def test_a_chunked_body_without_content_length_is_not_read_at_all(temp_dir):
    # Django under WSGI reads a body without Content-Length as empty: nothing to refuse, no file.
    request, stream = request_for(multipart_body(b"x" * 200_000), content_length="")

    assert upload_refused(request, limit=1000) is None
    assert stream.bytes_read == 0 and dict(request.FILES) == {}


def test_a_get_is_not_an_upload():
    request = RequestFactory().get("/upload/")
    assert upload_refused(request, limit=10) is None


def test_the_limit_cannot_be_set_once_the_body_was_read():
    request, _ = request_for(multipart_body(b"x" * 100))
    request.POST  # noqa: B018 (what CsrfViewMiddleware does unless the view is csrf_exempt)

    with pytest.raises(RuntimeError, match="csrf_exempt"):
        upload_refused(request, limit=10)
