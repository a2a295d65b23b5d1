"""Real servers on loopback for tests and benchmarks: the service itself, and an Oxigraph server."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@contextmanager
def running(args: list[str], ready_url: str, env: dict | None = None) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(ready_url, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # e.g. a server still inside a slow query
            proc.kill()
            proc.wait()


@contextmanager
def chokepoint_server(build: Path, env: dict | None = None) -> Iterator[str]:
    port = free_port()
    with running([str(BIN / "chokepoint"), "serve", "--build", str(build), "--port", str(port)],
                 f"http://127.0.0.1:{port}/health", env):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def oxigraph_server(data: Path | None = None) -> Iterator[str]:
    """An in-memory Oxigraph server (from the `oxigraph` package), optionally preloaded with an N-Triples file."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running([str(BIN / "oxigraph"), "serve", "--bind", f"127.0.0.1:{port}"], url + "/query?query=ASK%7B%7D"):
        if data is not None:
            httpx.put(url + "/store?default", content=data.read_bytes(), headers={"Content-Type": "application/n-triples"},
                      timeout=600).raise_for_status()
        yield url
