import csv
import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse

from kefu.core.tests.uploads import multipart_body, raw_post
from kefu.core.upload_limits import FORM_SLACK
from kefu.imports.models import ImportBatch
from kefu.imports.tests.files import csv_bytes, message, xlsx_bytes
from kefu.orgs.models import Queue, Role
from kefu.orgs.tests.factories import AgentFactory, PointFactory, UserFactory
from kefu.tickets.importers import PLATFORM_MESSAGES
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def upload(client, data: bytes, name: str = "留言.csv", **fields):
    payload = {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "queue": Queue.ARRIVAL}
    payload.update(fields)
    return client.post(reverse("import_list"), payload, **ENGLISH)


def test_a_supervisor_uploads_sees_the_rejected_rows_and_downloads_them(client):
    point = PointFactory()
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    client.force_login(supervisor)
    data = csv_bytes([message("V1"), message("V2", at="明天"), message("V3", text="")], encoding="gbk")

    response = upload(client, data)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_detail", args=[batch.pk])
    assert (batch.point, batch.created_by, batch.file_name, batch.encoding) == (
        point, supervisor, "留言.csv", "gb18030")
    assert (batch.state, batch.created_rows, batch.rejected_rows) == (ImportBatch.State.DONE, 1, 2)
    assert list(Ticket.objects.values_list("platform_message_id", "point")) == [("V1", point.pk)]

    page = client.get(response["Location"], **ENGLISH)
    html = page.content.decode()
    assert page.status_code == 200
    assert "the time 明天 is not a date and time" in html
    assert "the message text (留言内容) is empty" in html
    assert reverse("import_rejects_csv", args=[batch.pk]) in html

    download = client.get(reverse("import_rejects_csv", args=[batch.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="rejects-{batch.pk}.csv"'
    body = download.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r[:2] for r in rows] == [
        ["行号 line", "原因 reason"],
        ["3", "the time 明天 is not a date and time"],
        ["4", "the message text (留言内容) is empty"],
    ]
    assert json.loads(rows[1][2])["留言编号"] == "V2"


def test_an_upload_with_a_column_mapping(client):
    point = PointFactory()
    client.force_login(UserFactory(point=point, role=Role.MANAGER))
    data = csv_bytes([["W1", "YT7788990011223", "2026-11-20 09:15", "丢件了"]],
                     header=["工单号", "快递单号", "创建时间", "内容"])

    upload(client, data, col_message_id="工单号", col_waybill_no=" 快递单号 ",
           col_created_at="创建时间", col_content="内容", queue=Queue.DEPARTURE)

    batch = ImportBatch.objects.get()
    assert batch.mapping == {"message_id": "工单号", "waybill_no": "快递单号", "created_at": "创建时间",
                             "content": "内容"}
    ticket = Ticket.objects.get()
    assert (ticket.platform_message_id, ticket.queue, ticket.category.code) == ("W1", Queue.DEPARTURE, "lost")


def test_a_failed_import_shows_its_error(client):
    point = PointFactory()
    client.force_login(AgentFactory(point=point))

    response = upload(client, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)

    page = client.get(response["Location"], **ENGLISH)
    assert ImportBatch.objects.get().state == ImportBatch.State.FAILED
    assert "The file is not text in a known encoding." in page.content.decode()
    assert Ticket.objects.count() == 0


@pytest.fixture
def spool(settings, tmp_path):
    """Where Django writes uploads too big for memory (every upload above 1 KB here)."""
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    return tmp_path


def test_an_oversized_file_is_refused_unread_with_its_size_and_nothing_is_stored(client, settings, spool):
    settings.KEFU_MAX_IMPORT_BYTES = 1000
    client.force_login(AgentFactory(point=PointFactory()))
    body = multipart_body(csv_bytes([message(f"B{i}") for i in range(2000)]), name="留言.csv",
                          queue=Queue.ARRIVAL)
    assert len(body) > 1000 + FORM_SLACK

    response, sent = raw_post(client, reverse("import_list"), body, **ENGLISH)

    assert response.status_code == 413
    assert sent.bytes_read == 0
    html = response.content.decode()
    assert f"The file is {filesizeformat(len(body))}; the limit is 1000\xa0bytes." in html
    assert "This field is required" not in html
    assert (ImportBatch.objects.count(), Ticket.objects.count(), list(spool.iterdir())) == (0, 0, [])


def test_a_file_just_over_the_limit_is_refused_while_it_streams_in(client, settings, spool):
    data = csv_bytes([message(f"B{i}") for i in range(100)])
    settings.KEFU_MAX_IMPORT_BYTES = len(data) - 1
    client.force_login(AgentFactory(point=PointFactory()))

    response = upload(client, data)

    assert response.status_code == 413
    assert f"the limit is {filesizeformat(len(data) - 1)}." in response.content.decode()
    assert (ImportBatch.objects.count(), Ticket.objects.count(), list(spool.iterdir())) == (0, 0, [])


def test_a_file_of_exactly_the_limit_is_imported(client, settings, spool):
    data = csv_bytes([message(f"B{i}") for i in range(100)])
    settings.KEFU_MAX_IMPORT_BYTES = len(data)
    client.force_login(AgentFactory(point=PointFactory()))

    response = upload(client, data)

    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.state, batch.size, batch.created_rows) == (ImportBatch.State.DONE, len(data), 100)
    assert list(spool.iterdir()) == []


def test_the_upload_still_checks_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(AgentFactory(point=PointFactory()))

    response = upload(client, csv_bytes([message("C1")]))

    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_the_import_list_shows_only_the_own_points_batches(client):
    point, other = PointFactory(), PointFactory()
    mine = ImportBatch.objects.create(point=point, kind=PLATFORM_MESSAGES,
                                      file_name="mine.csv", sha256="0" * 64)
    ImportBatch.objects.create(point=other, kind=PLATFORM_MESSAGES,
                               file_name="theirs.csv", sha256="1" * 64)
    client.force_login(AgentFactory(point=point))

    html = client.get(reverse("import_list")).content.decode()

    assert reverse("import_detail", args=[mine.pk]) in html
    assert "theirs.csv" not in html


@pytest.mark.parametrize("name", ["import_detail", "import_rejects_csv"])
def test_an_agent_of_another_point_gets_404_for_a_batch(client, name):
    batch = ImportBatch.objects.create(point=PointFactory(), kind=PLATFORM_MESSAGES,
                                       file_name="a.csv", sha256="0" * 64)
    client.force_login(AgentFactory(point=PointFactory()))

    assert client.get(reverse(name, args=[batch.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.COURIER, Role.PICKUP, Role.DRIVER, Role.DEPT_HEAD, Role.CUSTOMER])
def test_only_cs_staff_may_import(client, role):
    point = PointFactory()
    batch = ImportBatch.objects.create(point=point, kind=PLATFORM_MESSAGES,
                                       file_name="a.csv", sha256="0" * 64)
    client.force_login(UserFactory(point=point, role=role))

    assert client.get(reverse("import_list")).status_code == 403
    assert upload(client, csv_bytes([message("N1")])).status_code == 403
    assert client.get(reverse("import_detail", args=[batch.pk])).status_code == 403
    assert Ticket.objects.count() == 0


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("import_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_upload_spooled_to_a_temporary_file_is_read(client, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # as a large file would be
    point = PointFactory()
    client.force_login(AgentFactory(point=point))

    upload(client, csv_bytes([message("S1"), message("S2")], encoding="utf-8-sig"))

    batch = ImportBatch.objects.get()
    assert (batch.state, batch.encoding, batch.created_rows) == (ImportBatch.State.DONE, "utf-8-sig", 2)


def test_an_xlsx_upload(client):
    point = PointFactory()
    client.force_login(AgentFactory(point=point))

    def build(ws):
        ws.append(["留言编号", "运单号", "留言时间", "留言内容"])
        ws.append(["X1", "YT7788990011223", dt.datetime(2026, 11, 20, 9, 15), "包裹破损"])

    upload(client, xlsx_bytes(build), name="留言.xlsx")

    batch = ImportBatch.objects.get()
    assert (batch.state, batch.encoding, batch.created_rows) == (ImportBatch.State.DONE, "xlsx", 1)
    assert Ticket.objects.get().category.code == "damaged"
