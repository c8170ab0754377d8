"""Run in a process of its own with DJANGO_SETTINGS_MODULE=kefu.tests.sampleapp.settings
(kefu/tests/test_new_app.py): what the new app declared, as the rest of kefu finds it.
Prints one JSON object."""

import io
import json

import django


def main() -> None:
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from config.celery import app
    from kefu.api.services import api_token_create
    from kefu.core.jobs import all_jobs
    from kefu.core.nav import items_for
    from kefu.imports.rows import run_import
    from kefu.notifications import kinds
    from kefu.orgs.models import Role
    from kefu.orgs.tests.factories import PointFactory, UserFactory
    from kefu.tests.sampleapp.importers import DeductionImporter

    point = PointFactory()
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    data = "标题：扣款导出\n编号,金额\nD1,12.5\nD2,abc\nD1,3\n,4\nD3,0.456\n".encode("gbk")
    batch = run_import(DeductionImporter(), point=point, fileobj=io.BytesIO(data), file_name="d.csv",
                       actor=supervisor)
    client = Client()
    client.force_login(supervisor)
    key = api_token_create(user=supervisor, name="check")[1]
    api = client.get("/api/sample/deductions", headers={"Authorization": f"Bearer {key}"})
    app.finalize()
    print(json.dumps({
        "batch": [batch.state, batch.encoding, batch.total_rows, batch.created_rows, batch.duplicate_rows,
                  [(r.line, r.reason) for r in batch.rejects.all()]],
        "page": client.get("/sample/deductions/").content.decode(),
        "api": [api.status_code, api.json()],
        "jobs": [j.name for j in all_jobs()],
        "beat": sorted(app.conf.beat_schedule),
        "notice": kinds.describe("sample_deduction_due", {"ref": "D1", "subject": "12.50"}),
        "nav": [str(item.label) for item in items_for(supervisor)],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
