"""The README's example outputs are what the commands and the API really answer on data/."""
from __future__ import annotations

from pathlib import Path

from tests.readme_examples import README, examples, render


def test_readme_examples_are_real_output(real_build: Path) -> None:
    text = README.read_text()
    assert len(examples(text)) >= 3
    assert render(text, real_build) == text, "README examples are stale: run `.venv/bin/python -m tests.readme_examples build`"
