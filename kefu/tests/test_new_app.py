"""A new app touches no file outside itself but INSTALLED_APPS (issue 12's "done when").

kefu/tests/sampleapp/ is such an app: a model, a notice kind (notices.py), a periodic
job (jobs.py), a Celery task (tasks.py), a page with its navigation entry (urls.py),
an API endpoint (api.py) and a kind of import on the toolkit (importers.py, 50
lines). Its settings module only adds it to INSTALLED_APPS. In a process of its own
(kefu's apps find each other once per process), on a fresh SQLite database, every
part is found where the rest of kefu looks for it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_app_is_wired_by_installed_apps_alone(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kefu.tests.sampleapp.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "KEFU_DATA_DIR": str(tmp_path),
           "CELERY_BROKER_URL": "", "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-m", "kefu.tests.sampleapp.check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])

    assert found["batch"] == ["done", "gb18030", 5, 2, 1, [[4, "the amount abc is not a number"],
                                                           [6, "编号 is empty"]]]
    assert found["page"] == "2"
    assert found["api"] == [200, {"count": 2}]
    assert "sample_count" in found["jobs"] and "sample_count" in found["beat"]
    assert found["notice"] == "Deduction D1 is due: 12.50"
    assert found["nav"][-2:] == ["Deductions", "API"]
