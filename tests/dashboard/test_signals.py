"""`evalharness dashboard` forwards SIGTERM: Streamlit never outlives it (issue: hostile input)."""

import os
import signal
import socket
import subprocess
import sys
import time

import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_to_the_dashboard_command_stops_streamlit(results_dir):
    cmd = [sys.executable, "-m", "evalharness", "dashboard", "--results-dir", str(results_dir),
           "--port", str(free_port())]
    parent = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 60
        children: list[psutil.Process] = []
        while time.monotonic() < deadline and not children:
            children = psutil.Process(parent.pid).children(recursive=True)
            time.sleep(0.2)
        assert children, "streamlit never started"
        time.sleep(1.0)
        os.kill(parent.pid, signal.SIGTERM)
        assert parent.wait(timeout=30) == 0
        gone, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, f"orphaned: {[p.pid for p in alive]}"
    finally:
        if parent.poll() is None:
            parent.kill()
