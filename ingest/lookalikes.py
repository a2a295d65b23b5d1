"""Two records that look like the same thing (same name or alias once case and punctuation are ignored)."""
from __future__ import annotations

import re

from ingest.problems import Problem
from ingest.records import Record


def normalised(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


def _names(record: Record) -> list[str]:
    aliases = record.fields.get("aliases") or []
    names = [record.fields.get("name")] + (aliases if isinstance(aliases, list) else [aliases])
    return [n for n in names if isinstance(n, str) and normalised(n)]


def lookalike_problems(records: list[Record]) -> list[Problem]:
    seen: dict[tuple[str, str], Record] = {}
    problems = []
    for record in records:
        if record.cls.directory == "sources":
            continue
        for name in dict.fromkeys(_names(record)):
            key = (record.cls.name, normalised(name))
            first = seen.setdefault(key, record)
            if first.id != record.id:
                problems.append(Problem(record.file, record.line_of("name"),
                                        f"'{record.id}' looks like a duplicate of '{first.id}' ({first.file}:{first.line}): "
                                        f"both are called '{name}'; merge them, or make the names distinct"))
    return problems
