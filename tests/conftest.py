"""Shared fixtures: the tiny fixture world, built once, and a client for it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from graph_service.app import create_app
from graph_service.cli import app as cli_app
from graph_service.store import GraphStore

TESTS = Path(__file__).parent
ROOT = TESTS.parent
VALID = TESTS / "fixtures" / "valid"
INVALID = TESTS / "fixtures" / "invalid"


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture data at ./data in a fresh working directory, so errors read data/...:N."""
    shutil.copytree(VALID, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


@pytest.fixture
def cli() -> "CliInvoker":
    return CliInvoker()


class CliInvoker:
    """Runs `chokepoint ARGS` in-process and returns click's Result (exit_code, stdout, stderr)."""

    def __call__(self, *args: str):
        return CliRunner().invoke(cli_app, [str(a) for a in args])


def build_world(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`chokepoint build` of a data directory into a fresh build directory."""
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(cli_app, ["build", str(data), "--build", str(out)])
    assert result.exit_code == 0, result.output
    return out


def serve_world(build: Path) -> TestClient:
    return TestClient(create_app(GraphStore.from_build(build)))


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(VALID, tmp_path_factory)


@pytest.fixture(scope="session")
def client(fixture_build: Path) -> TestClient:
    return serve_world(fixture_build)


@pytest.fixture(scope="session")
def real_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real data/, built once per test session."""
    return build_world(ROOT / "data", tmp_path_factory)


@pytest.fixture(scope="session")
def real_client(real_build: Path) -> TestClient:
    return serve_world(real_build)
