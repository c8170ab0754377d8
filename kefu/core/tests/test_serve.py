"""`kefu serve --workers 2`: gunicorn worker processes and one jobs process."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on Linux and macOS")
REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[str]:
    names = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == pid:
            names.append(Path(f"/proc/{stat.parent.name}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    return names


@pytest.mark.skipif(not Path("/proc").exists(), reason="counts processes through /proc")
def test_two_workers_answer_and_the_jobs_run_in_one_process_of_their_own(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "KEFU_DATA_DIR": str(tmp_path),
           "KEFU_EMBEDDED_JOBS": "1"}
    subprocess.run([sys.executable, "-m", "kefu.cli", "migrate", "-v0"], cwd=REPO, env=env, check=True)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "kefu.cli", "serve", "--port", str(port), "--workers", "2"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "no answer within 60 s"
                time.sleep(0.3)
        # gunicorn's arbiter is the serve process itself; its two workers are children. The
        # first worker may answer before the arbiter has forked the second.
        children = _children(server.pid)
        while len(children) < 3 and time.monotonic() < deadline:
            time.sleep(0.3)
            children = _children(server.pid)
        assert sum("run-jobs" in c for c in children) == 1
        assert len(children) == 3
    finally:
        server.terminate()
        server.wait(timeout=30)
