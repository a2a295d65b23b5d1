"""Bad input gets every problem, located, with what would be right.

Each file under fixtures/invalid/<folder>/ is dropped into a copy of the valid
fixture data; its `# expect: LINE: MESSAGE` comments are the exact errors
`chokepoint validate` must print for it, and nothing else.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import INVALID

CASES = sorted(INVALID.glob("*/*.yaml"))


def expected_errors(case: Path) -> list[str]:
    shown = f"data/{case.parent.name}/{case.name}"
    found = re.findall(r"^# expect: (\d+): (.*)$", case.read_text(), flags=re.M)
    return [f"{shown}:{line}: {message}" for line, message in found]


def reported(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("data/")]


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_mistake_gets_its_exact_error(case: Path, data_copy: Path, cli) -> None:
    shutil.copy(case, data_copy / case.parent.name / case.name)
    result = cli("validate", "data")
    assert result.exit_code == 1
    assert sorted(reported(result.stderr)) == sorted(expected_errors(case))


def test_all_mistakes_at_once_are_all_listed(data_copy: Path, cli) -> None:
    for case in CASES:
        shutil.copy(case, data_copy / case.parent.name / case.name)
    result = cli("validate", "data")
    expected = sorted(e for case in CASES for e in expected_errors(case))
    assert result.exit_code == 1
    assert len(expected) >= 10
    assert sorted(reported(result.stderr)) == expected
    assert result.stderr.strip().endswith(f"{len(expected)} problems in {len(CASES)} files; nothing was built")


def test_build_with_errors_writes_nothing(data_copy: Path, cli, tmp_path: Path) -> None:
    shutil.copy(INVALID / "actors" / "share_above_one.yaml", data_copy / "actors")
    result = cli("build", "data", "--build", tmp_path / "out")
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()


def test_dates_of_different_precision_compare_by_the_days_they_cover(data_copy: Path, cli) -> None:
    """from: 2012-03 with until: 2021-10-28 is a valid interval (SHACL alone cannot compare the two)."""
    case = INVALID.parent / "also_valid" / "clusters" / "interval_precision.yaml"
    shutil.copy(case, data_copy / "clusters" / case.name)
    result = cli("validate", "data")
    assert result.exit_code == 0, result.stderr
