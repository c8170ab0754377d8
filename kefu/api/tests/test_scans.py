import json

import pytest

from kefu.api.tests.conftest import make_user, token_for
from kefu.core.tests.uploads import CountingInput
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import PointFactory
from kefu.parcels.models import ScanEvent, Waybill

pytestmark = pytest.mark.django_db


def scans(point_code, *extra):
    rows = [
        {"waybill_no": "YT0000000001", "scan_type": "到件", "scanned_at": "2026-11-20 09:00:00",
         "point_code": point_code, "area_code": "A1"},
        {"waybill_no": "YT0000000001", "scan_type": "签收", "scanned_at": "2026-11-20 15:30",
         "point_code": point_code},
        {"waybill_no": "bad", "scan_type": "到件", "scanned_at": "2026-11-20 09:00", "point_code": point_code},
        {"waybill_no": "YT0000000002", "scan_type": "飞走", "scanned_at": "2026-11-20 09:00",
         "point_code": point_code},
    ]
    return {"scans": rows + list(extra)}


def test_a_supervisor_posts_a_batch_and_a_repeat_stores_nothing_twice(api, point):
    key = token_for(make_user(Role.SUPERVISOR, point))

    first = api.post("/api/scans", scans(point.code), token=key)
    again = api.post("/api/scans", scans(point.code), token=key)

    assert first.status_code == 201
    body = first.json()
    assert (body["rows"], body["created"], body["duplicates"]) == (4, 2, 0)
    assert [r["line"] for r in body["rejected"]] == [3, 4]
    assert "BAD" in body["rejected"][0]["reason"]
    assert (again.json()["created"], again.json()["duplicates"]) == (0, 2)
    assert ScanEvent.objects.count() == 2
    waybill = Waybill.objects.get()
    assert (waybill.point, waybill.area.code, waybill.signed_at is not None) == (point, "A1", True)


def test_rows_of_another_point_are_rejected(api, point):
    other = PointFactory()
    key = token_for(make_user(Role.MANAGER, point))

    body = api.post("/api/scans", {"scans": scans(other.code)["scans"][:2]}, token=key).json()

    assert (body["created"], len(body["rejected"])) == (0, 2)
    assert ScanEvent.objects.count() == 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.COURIER, Role.CUSTOMER])
def test_only_the_roles_of_the_upload_page_import_scans(api, point, role):
    """The upload page's rule (kefu/parcels/permissions.py): an agent, who may not upload a
    file, may not post scans either (they would create unconfirmed couriers and areas)."""
    key = token_for(make_user(role, point))

    response = api.post("/api/scans", scans(point.code), token=key)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert ScanEvent.objects.count() == 0


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.SUPERVISOR, Role.TEAM_LEAD, Role.DEPT_HEAD])
def test_the_point_leads_and_department_heads_import_scans(api, point, role):
    key = token_for(make_user(role, point))

    assert api.post("/api/scans", scans(point.code), token=key).status_code == 201


def test_a_missing_field_is_a_validation_error(api, point):
    key = token_for(make_user(Role.SUPERVISOR, point))

    response = api.post("/api/scans", {"scans": [{"waybill_no": "YT0000000001"}]}, token=key)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_more_than_ten_thousand_scans_is_a_validation_error_saying_the_limit(client, point):
    key = token_for(make_user(Role.SUPERVISOR, point))
    row = scans(point.code)["scans"][0]

    response = client.post("/api/scans", {"scans": [row] * 10_001}, content_type="application/json",
                           headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"})

    assert response.status_code == 422
    assert response.json()["fields"] == {"scans": ["At most 10000 items."]}
    assert ScanEvent.objects.count() == 0


def test_a_body_over_the_size_limit_is_refused_unread_with_code_and_message(client, point, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    key = token_for(make_user(Role.SUPERVISOR, point))
    body = json.dumps({"scans": scans(point.code)["scans"] * 10}).encode()
    assert len(body) > 1000
    sent = CountingInput(body)

    response = client.generic("POST", "/api/scans", body, content_type="application/json",
                              headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"},
                              **{"wsgi.input": sent})

    assert response.status_code == 413
    assert response.json() == {"code": "too_large",
                               "message": "The request is larger than 1000\xa0bytes: send less in each request."}
    assert sent.bytes_read == 0
    assert ScanEvent.objects.count() == 0
