"""Issue 15, finding 7: ``dse dashboard`` on a taken port fails in one line before announcing
anything, and a running dashboard logs no line per HTTP request."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from dse.dashboard.app import DashboardError, make_server, serve
from tests.dashboards.conftest import StudyDB


def test_a_taken_port_fails_in_one_line_before_any_banner(study_db: StudyDB, capfd: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DashboardError) as err:
            serve(study_db.url, port=port)
    message = str(err.value)
    assert "\n" not in message and f"port {port}" in message and "in use" in message and "--port" in message
    out, errors = capfd.readouterr()
    assert "running on" not in (out + errors).lower() and "dse dashboard:" not in out


def test_cli_prints_one_line_and_exits_2_on_a_taken_port(study_db: StudyDB) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([str(Path(sys.executable).parent / "dse"), "dashboard", "--storage", study_db.url,
                               "--port", str(port)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Dash is running" not in done.stdout + done.stderr and "Traceback" not in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.strip()]) == 1 and "in use" in done.stderr


def test_requests_are_not_logged(study_db: StudyDB, capfd: pytest.CaptureFixture[str]) -> None:
    server = make_server(study_db.url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("/", "/_dash-layout", "/_dash-dependencies"):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", timeout=30) as response:
                assert response.status == 200
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
    out, errors = capfd.readouterr()
    assert "GET /" not in out + errors and "HTTP/1.1" not in out + errors
