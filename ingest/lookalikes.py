"""Two records that look like the same thing: the same name or alias once case and punctuation are ignored, or
the same Wikidata item."""
from __future__ import annotations

import re
from typing import Hashable, Iterable, Iterator

from ingest.problems import Problem
from ingest.records import Record


def normalised(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


def _names(record: Record) -> list[str]:
    aliases = record.fields.get("aliases") or []
    names = [record.fields.get("name")] + (aliases if isinstance(aliases, list) else [aliases])
    return [n for n in names if isinstance(n, str) and normalised(n)]


# A name that is only a legal form is what YAML makes of an unquoted "Facebook, Inc." in a [flow, list].
LEGAL_FORMS = {"inc", "ltd", "llc", "corp", "co", "plc", "gmbh", "ag", "sa", "sas", "bv", "nv", "limited", "incorporated"}


def lookalike_problems(records: list[Record]) -> list[Problem]:
    problems, claims = [], []
    for record in records:
        if record.cls.directory == "sources":
            continue
        for name in dict.fromkeys(_names(record)):
            if normalised(name) in LEGAL_FORMS:
                problems.append(Problem(record.file, record.line_of("aliases"),
                                        f"'{name}' is only a legal form, not a name: quote names that contain a comma, "
                                        f"as in [\"Facebook, Inc.\"]"))
            else:
                claims.append(((record.cls.name, normalised(name)), record, name))
    return problems + [Problem(record.file, record.line_of("name"),
                               f"'{record.id}' looks like a duplicate of '{first.id}' ({first.file}:{first.line}): "
                               f"both are called '{name}'; merge them, or make the names distinct")
                       for record, first, name in _second_claims(claims)]


def same_item_problems(records: list[Record]) -> list[Problem]:
    """A Wikidata item is one entity: two records naming it are one thing twice, or one of the QIDs is wrong."""
    claims = [(qid, record, qid) for record in records if isinstance(qid := record.fields.get("wikidata"), str)]
    return [Problem(record.file, record.line_of("wikidata"),
                    f"'{record.id}' and '{first.id}' ({first.file}:{first.line}) are both Wikidata's {qid}: "
                    "merge them if they are one thing, or correct the QID that is not this record's")
            for record, first, qid in _second_claims(claims)]


def _second_claims(claims: Iterable[tuple[Hashable, Record, str]]) -> Iterator[tuple[Record, Record, str]]:
    """For each (key, record, label) whose key another record claimed first: the record, that first one, the label."""
    first_of: dict[Hashable, Record] = {}
    for key, record, label in claims:
        first = first_of.setdefault(key, record)
        if first.id != record.id:
            yield record, first, label
