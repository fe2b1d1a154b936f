"""Stopping the preview leaves no thread running and no port open, in process and from the command line."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

from devportal_constructs.preview import start_preview

ROOT = Path(__file__).resolve().parents[2]


def port_open(url: str) -> bool:
    parsed = urlparse(url)
    with socket.socket() as probe:
        return probe.connect_ex((parsed.hostname or "127.0.0.1", parsed.port or 80)) == 0


def test_stop_ends_every_thread_and_closes_both_ports() -> None:
    # Given a running preview
    before = set(threading.enumerate())
    running = start_preview(port=0)
    assert port_open(running.url) and port_open(running.endpoint)
    # When it stops
    running.stop()
    # Then its threads are gone and nothing listens on its ports any more
    assert set(threading.enumerate()) <= before
    assert not port_open(running.url)
    assert not port_open(running.endpoint)


def test_ctrl_c_stops_the_command_cleanly() -> None:
    # Given `devportal preview` running on a free port
    command = subprocess.Popen(
        [sys.executable, "-m", "devportal_constructs.cli", "preview", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert command.stdout is not None
    url = None
    for line in command.stdout:
        if "is running at" in line:
            url = line.rsplit(" ", 1)[-1].strip()
            break
    assert url is not None and port_open(url)
    # When it gets SIGINT (Ctrl-C)
    command.send_signal(signal.SIGINT)
    rest = command.stdout.read()
    # Then it says so, exits with 0 and its port is closed
    assert command.wait(timeout=30) == 0, rest
    assert "Stopping" in rest
    assert not port_open(url)


def test_fails_when_the_content_folder_does_not_exist(tmp_path: Path) -> None:
    import pytest

    with pytest.raises(ValueError, match=r"--content .*: no such folder"):
        start_preview(port=0, content=tmp_path / "missing")
