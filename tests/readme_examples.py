"""The README's examples are real output: this module re-runs them against a build and checks or rewrites them.

Two kinds of example blocks in README.md:
- a ```console block whose first line is `$ chokepoint query|analyze|stats ...`: the rest of the block is that command's output;
- a ```json block right after the marker `<!-- output of the graphql block above -->`: the answer of
  POST /graphql to the nearest ```graphql block before it.

`python -m tests.readme_examples BUILD` rewrites README.md from the build (run it after changing data/);
tests/test_readme.py fails when the README and the real output differ.
"""
from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Callable

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from graph_service.app import create_app
from graph_service.cli import app as cli_app
from graph_service.store import GraphStore

README = Path(__file__).resolve().parent.parent / "README.md"
CONSOLE = re.compile(r"```console\n(\$ chokepoint (?:query|analyze|stats) [^\n]*)\n(.*?)```", re.S)
GRAPHQL_OUTPUT = re.compile(r"```graphql\n(.*?)```(?:(?!```graphql).)*?<!-- output of the graphql block above -->\n```json\n(.*?)```", re.S)


WIDTH = 100  # rich reads COLUMNS once, at import: pin the width so the examples do not depend on the environment


def run_cli(command: str, build: Path) -> str:
    from graph_service import cli

    cli.console.width = cli.errors.width = WIDTH
    args = shlex.split(command.removeprefix("$ chokepoint "))
    result = CliRunner().invoke(cli_app, args + ["--build", str(build)])
    return result.stdout


def run_graphql(query: str, client: TestClient) -> str:
    return json.dumps(client.post("/graphql", json={"query": query}).json(), indent=1, ensure_ascii=False) + "\n"


def render(text: str, build: Path) -> str:
    """The README with every example's output replaced by the real output on `build`."""
    client = TestClient(create_app(GraphStore.from_build(build)))
    text = CONSOLE.sub(lambda m: f"```console\n{m[1]}\n{run_cli(m[1], build)}```", text)
    return GRAPHQL_OUTPUT.sub(lambda m: m[0][: m.start(2) - m.start(0)] + run_graphql(m[1], client) + "```", text)


def examples(text: str) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in CONSOLE.finditer(text)] + [(m[1], m[2]) for m in GRAPHQL_OUTPUT.finditer(text)]


if __name__ == "__main__":
    README.write_text(render(README.read_text(), Path(sys.argv[1])))
    print(f"rewrote {len(examples(README.read_text()))} examples in {README}")
