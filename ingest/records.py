"""Reading data/: every YAML file, as records of the class its folder names."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.problems import Problem, display_path, suggestion
from ingest.schema import ClassSpec, Schema
from ingest.yaml_lines import LineDict, load_yaml


@dataclass(frozen=True)
class Record:
    """One YAML mapping under a class folder, with where it was written."""

    id: str
    cls: ClassSpec
    fields: LineDict
    file: str

    @property
    def line(self) -> int:
        return self.fields.line

    def line_of(self, key: str) -> int:
        return self.fields.lines.get(key, self.fields.line)


def data_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def read_records(data_dir: Path, schema: Schema) -> tuple[list[Record], list[Problem]]:
    """All records under data_dir, and the problems that stop a record from being read at all."""
    records: list[Record] = []
    problems: list[Problem] = []
    folders = sorted(c.directory for c in schema.classes.values() if c.directory)
    if not data_dir.is_dir():
        return [], [Problem(display_path(data_dir), 0, "no such data directory")]
    for path in data_files(data_dir):
        shown = display_path(path)
        folder = path.relative_to(data_dir).parts[0]
        cls = schema.by_directory(folder)
        if cls is None or len(path.relative_to(data_dir).parts) < 2:
            problems.append(Problem(shown, 1, f"file is not in a class folder; put it under one of: {', '.join(folders)}"))
            continue
        document, found = load_yaml(path, shown)
        problems += found
        if document is None:
            continue
        if not isinstance(document, list):
            problems.append(Problem(shown, getattr(document, "line", 1), "a data file is a YAML list of records (each starting with '- id: ...')"))
            continue
        for line, item in zip(document.lines, document):
            if not isinstance(item, LineDict):
                problems.append(Problem(shown, line, "a record is a mapping of keys to values, starting with 'id:'"))
            elif not isinstance(item.get("id"), str) or not item["id"]:
                problems.append(Problem(shown, line, "record has no 'id:'; give it a lowercase slug such as 'llama-3-70b'"))
            else:
                records.append(Record(item["id"], cls, item, shown))
    return records, problems


def index_records(records: list[Record]) -> tuple[dict[str, Record], list[Problem]]:
    """Records by id; a second record with the same id is a problem."""
    index: dict[str, Record] = {}
    problems = []
    for record in records:
        first = index.get(record.id)
        if first:
            problems.append(Problem(record.file, record.line_of("id"),
                                    f"duplicate id '{record.id}' (first defined at {first.file}:{first.line_of('id')}); ids are unique across data/"))
        else:
            index[record.id] = record
    return index, problems


def unknown_key(key: str, allowed: list[str], what: str) -> str:
    hint = suggestion(key, allowed)
    return f"unknown key '{key}' for {what}{hint or '.'} Valid keys: {', '.join(allowed)}"
