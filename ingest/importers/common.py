"""What every importer shares: the catalogue of existing records an import joins to,
the report it gives, and writing its generated files only once they validate.

Merge rule ("one place per fact"): an imported entity whose Wikidata QID, name or
alias (normalised for case and punctuation) matches an existing record *is* that
record. Nothing new is written for it; references to it use the existing id, and
imported values that differ from the existing ones are reported as conflicts
(the curated value wins). Entities that match nothing become new records in
`<out>/<folder>/imported-<dataset>.yaml`, a file the importer owns and replaces.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import yaml

from ingest.lookalikes import normalised
from ingest.records import read_records
from ingest.schema import Schema, default_schema
from ingest.yaml_lines import LineDict, LineList

# Words that name the legal form or the AI-ness of an organisation rather than the organisation:
# "Meta AI" is Meta, "Deepseek AI" is DeepSeek. Only used when the full name matches nothing.
_ORG_SUFFIXES = re.compile(r"(?:[\s,.]+(?:ai|inc|incorporated|ltd|llc|corp|corporation|co|company|labs?|group|plc|gmbh|sa))+[\s.]*$",
                           re.IGNORECASE)

Progress = Callable[[Iterable[Any], int, str], Iterator[Any]]


def no_progress(items: Iterable[Any], total: int, description: str) -> Iterator[Any]:
    return iter(items)


def slug(name: str) -> str:
    """A readable lowercase id from a name: 'Llama 3.1 405B' -> 'llama-3.1-405b'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9.]+", "-", ascii_name.lower())
    return re.sub(r"-{2,}", "-", re.sub(r"\.(?![a-z0-9])|(?<![a-z0-9])\.", "-", text)).strip("-.")


def stripped(name: str) -> str:
    """The normalised name without trailing words of legal form ('Mistral AI' -> 'mistral')."""
    return normalised(_ORG_SUFFIXES.sub("", name))


def _bare_licence(name: str) -> str:
    """A licence name without the words that licences are spelled with or without."""
    return normalised(re.sub(r"\b(licen[cs]e|agreement|version|the)\b", "", name, flags=re.IGNORECASE))


def fact(value: Any, row: str, **qualifiers: Any) -> dict:
    """One imported fact: the value, the row it came from, and any other qualifier that is set."""
    key = "id" if qualifiers.pop("reference", False) else "value"
    if isinstance(value, float):
        value = float(f"{value:.6g}")       # 1.4279999999999998e+23 is 1.428e+23 in the source
    return {key: value, **{k: v for k, v in qualifiers.items() if v is not None}, "row": row}


@dataclass
class Report:
    """What an import did: added, merged, skipped (filters), rejected (defects) and conflicts."""

    dataset: str
    added: Counter = field(default_factory=Counter)                    # folder -> records written
    merged: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # folder -> existing ids matched
    skipped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    rejected: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    conflicts: list[str] = field(default_factory=list)
    unwritten: int = 0          # imported facts about merged records that the existing record lacks (not written)
    notes: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    def skip(self, reason: str, what: str) -> None:
        self.skipped[reason].append(what)

    def reject(self, reason: str, what: str) -> None:
        self.rejected[reason].append(what)

    def lines(self, limit: int | None = 10) -> list[str]:
        """The readable lists behind the counts: rejections, conflicts, notes (at most `limit` per group)."""
        out: list[str] = []

        def group(title: str, items: list[str]) -> None:
            out.append(f"{title} ({len(items)}):")
            shown = items if limit is None else items[:limit]
            out.extend(f"  - {item}" for item in shown)
            if len(items) > len(shown):
                out.append(f"  ... and {len(items) - len(shown)} more (--report FILE writes them all)")

        for reason in sorted(self.rejected):
            group(f"rejected: {reason}", self.rejected[reason])
        if self.conflicts:
            group("conflicts (the existing value was kept)", self.conflicts)
        if self.notes:
            group("to check", self.notes)
        return out


@dataclass
class Existing:
    """A record already in the data directory."""

    id: str
    folder: str
    fields: LineDict
    file: str


class Catalogue:
    """The records an import joins to (existing ones and the ones it adds), found by id, QID, name or alias."""

    def __init__(self, data_dir: Path, dataset: str, source: str, schema: Schema | None = None):
        self.schema = schema or default_schema()
        self.dataset, self.source = dataset, source
        self.generated_name = f"imported-{dataset}.yaml"
        records, problems = read_records(data_dir, self.schema)
        self.existing: dict[str, Existing] = {}
        for r in records:
            if Path(r.file).name != self.generated_name:  # this import's own earlier output is replaced, not joined
                self.existing.setdefault(r.id, Existing(r.id, r.cls.directory, r.fields, r.file))
        self.new: dict[str, dict] = {}                 # id -> record fields, in the order written
        self.new_folder: dict[str, str] = {}
        self._names: dict[tuple[str, str], str] = {}
        self._stripped: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._qids: dict[str, str] = {}
        for record in self.existing.values():
            self._index(record.id, record.folder, record.fields)

    def _index(self, id_: str, folder: str, fields: dict) -> None:
        aliases = fields.get("aliases") or []
        for name in [fields.get("name"), *(aliases if isinstance(aliases, list) else [aliases])]:
            if isinstance(name, str) and normalised(name):
                self._names.setdefault((folder, normalised(name)), id_)
                if stripped(name):
                    self._stripped[(folder, stripped(name))].add(id_)
                if folder == "licenses" and _bare_licence(name):
                    self._stripped[(folder, _bare_licence(name))].add(id_)
        if folder == "licenses" and isinstance(fields.get("spdx"), str):
            self._names.setdefault((folder, normalised(fields["spdx"])), id_)
        if isinstance(fields.get("wikidata"), str):
            self._qids.setdefault(fields["wikidata"], id_)

    def find(self, folder: str, name: str, qid: str | None = None) -> str | None:
        """The id of the record of this class that the name (or QID) names, if exactly one does."""
        if qid and qid in self._qids:
            return self._qids[qid]
        key = normalised(name)
        if not key:
            return None
        if (folder, key) in self._names:
            return self._names[(folder, key)]
        if folder == "chips" and " " in name.strip():   # 'NVIDIA H200 SXM' is the chip curated as 'H200 SXM'
            rest = normalised(name.strip().split(" ", 1)[1])
            if (folder, rest) in self._names:
                return self._names[(folder, rest)]
        if folder == "licenses" and _bare_licence(name):   # 'BigScience RAIL v1.0' is 'BigScience RAIL License v1.0'
            ids = self._stripped.get((folder, _bare_licence(name)), set())
            if len(ids) == 1:
                return next(iter(ids))
        if folder == "actors":
            # 'Massachusetts Institute of Technology (MIT)', 'Beijing Academy of Artificial Intelligence / BAAI'
            variants = [name, re.sub(r"\s*\([^)]*\)\s*$", "", name), *name.split(" / ")]
            for variant in dict.fromkeys(v.strip() for v in variants if v.strip()):
                if variant != name and (folder, normalised(variant)) in self._names:
                    return self._names[(folder, normalised(variant))]
                ids = self._stripped.get((folder, stripped(variant)), set()) if stripped(variant) else set()
                if len(ids) == 1:
                    return next(iter(ids))
        return None

    def is_new(self, id_: str) -> bool:
        return id_ in self.new

    def all_ids(self) -> set[str]:
        return set(self.existing) | set(self.new)

    def add(self, folder: str, name: str, fields: dict, id_hint: str | None = None) -> str:
        """A new record with a readable id unique across the data; returns the id."""
        base = slug(id_hint or name)
        singular = {"actors": "actor", "models": "model", "chips": "chip", "clusters": "cluster",
                    "datasets": "dataset", "licenses": "license"}.get(folder, folder)
        taken = self.all_ids()
        candidates = [base, f"{base}-{singular}"] + [f"{base}-{singular}-{n}" for n in range(2, 100)]
        id_ = next(c for c in candidates if c not in taken)
        record = {"id": id_, "name": name.strip(), **fields}
        self.new[id_] = record
        self.new_folder[id_] = folder
        self._index(id_, folder, record)
        return id_

    def drop(self, id_: str) -> None:
        """Remove a new record and every reference other new records make to it."""
        self.new.pop(id_, None)
        self.new_folder.pop(id_, None)
        for record in self.new.values():
            for key, value in list(record.items()):
                if isinstance(value, list):
                    kept = [v for v in value if not (isinstance(v, dict) and v.get("id") == id_) and v != id_]
                    if len(kept) != len(value):
                        if kept:
                            record[key] = kept
                        else:
                            del record[key]

    # -- merging into an existing record
    def compare(self, report: Report, id_: str, key: str, imported: Any, row: str, shown: str | None = None) -> None:
        """Report a conflict where an existing record states `key` differently; count facts it lacks."""
        record = self.existing.get(id_)
        if record is None:
            return
        if key not in record.fields:
            report.unwritten += 1
            return
        values = _plain_values(record.fields[key])
        if not any(_same(v, imported) for v in values):
            existing = ", ".join(_show(v) for v in values)
            report.conflicts.append(f"{id_} {key}: {record.file} says {existing}; {row} says {shown or _show(imported)}")


def _plain_values(value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    return [item.get("id", item.get("value")) if isinstance(item, dict) else item for item in items]


def _same(curated: Any, imported: Any) -> bool:
    if isinstance(curated, bool) or isinstance(imported, bool):
        return curated is imported
    if isinstance(curated, (int, float)) and isinstance(imported, (int, float)):
        return abs(curated - imported) <= 0.01 * max(abs(curated), abs(imported))
    if isinstance(curated, (dt.date, int, str)) and isinstance(imported, (dt.date, int, str)):
        a, b = str(curated), str(imported)
        return a.startswith(b) or b.startswith(a) if a[:4].isdigit() and b[:4].isdigit() else normalised(a) == normalised(b)
    return curated == imported


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


# ---------------------------------------------------------------- writing

class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def render(records: list[dict], header: str) -> tuple[str, dict[int, str]]:
    """YAML text for the records (sorted by id), and the first line of each record -> its id."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    starts: dict[int, str] = {}
    for record in sorted(records, key=lambda r: r["id"]):
        text = yaml.dump([record], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)
        lines.append("")
        starts[len(lines) + 1] = record["id"]
        lines.extend(text.rstrip("\n").splitlines())
    return "\n".join(lines) + "\n", starts


def header(command: str, source: str, title: str) -> str:
    return (f"GENERATED by `{command}` from {title} (source: {source}).\n"
            "Do not edit by hand: re-running the import replaces this file. To correct or add a fact, curate it in\n"
            "another file of this folder; a curated record with the same name, alias or QID takes precedence.")


def write_validated(catalogue: Catalogue, report: Report, data_dir: Path, out_dir: Path, head: str,
                    dry_run: bool = False, status: Callable[[str], None] = lambda _: None) -> list[str]:
    """Validate the new records together with data_dir; drop the ones that fail (reported), then write them.

    Returns the problems that could not be pinned on an imported record (nothing is written then).
    """
    from ingest.pipeline import check

    name = catalogue.generated_name
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "data"
        shutil.copytree(data_dir, work, ignore=lambda _dir, files: [f for f in files if f == name])
        status("validating the data as it is")
        baseline = {(_rel(p.file, work), p.line, p.message) for p in check(work, catalogue.schema).problems}
        for attempt in range(6):
            starts_by_folder = {}
            for folder in sorted(set(catalogue.new_folder.values())):
                records = [r for i, r in catalogue.new.items() if catalogue.new_folder[i] == folder]
                text, starts = render(records, head)
                (work / folder).mkdir(exist_ok=True)
                (work / folder / name).write_text(text, encoding="utf-8")
                starts_by_folder[f"{folder}/{name}"] = starts
            status(f"validating the imported records (pass {attempt + 1})")
            problems = [(_rel(p.file, work), p.line, p.message) for p in check(work, catalogue.schema).problems]
            new = [p for p in problems if p not in baseline]
            if not new:
                break
            pinned, loose = {}, []
            for file, line, message in new:
                starts = starts_by_folder.get(file)
                if starts is None:
                    loose.append(f"{file}:{line}: {message}")
                    continue
                record_id = starts[max(s for s in starts if s <= line)]
                pinned.setdefault(record_id, message)
            if loose and not pinned:
                return loose
            for record_id, message in sorted(pinned.items()):
                report.reject("fails validation", f"{record_id}: {_generic(message, record_id)}")
                catalogue.drop(record_id)
            for folder in {catalogue.new_folder.get(i) for i in pinned} - set(catalogue.new_folder.values()):
                (work / folder / name).unlink(missing_ok=True)
            for file in starts_by_folder:
                if not any(f"{catalogue.new_folder[i]}/{name}" == file for i in catalogue.new):
                    (work / file).unlink(missing_ok=True)
        else:
            return [f"{f}:{l}: {m}" for f, l, m in new]
    report.added = Counter(catalogue.new_folder.values())
    if dry_run:
        return []
    for path in sorted(out_dir.glob(f"*/{name}")):
        path.unlink()
    for folder in sorted(set(catalogue.new_folder.values())):
        records = [r for i, r in catalogue.new.items() if catalogue.new_folder[i] == folder]
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
        (out_dir / folder / name).write_text(render(records, head)[0], encoding="utf-8")
        report.written.append(str(out_dir / folder / name))
    return []


def _rel(file: str, work: Path) -> str:
    try:
        return str(Path(file).resolve().relative_to(work.resolve()))
    except ValueError:
        return file


def _generic(message: str, record_id: str) -> str:
    return message.replace(f"record '{record_id}' ", "")


def summary_table(report: Report, title: str) -> Any:
    """The counts of an import as a rich table: added, merged, skipped, rejected (by reason), conflicts."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("what")
    table.add_column("count", justify="right")
    for folder, count in sorted(report.added.items()):
        table.add_row("added", f"new {folder} records", f"{count:,}")
    for folder, ids in sorted(report.merged.items()):
        table.add_row("merged", f"matched existing {folder} (nothing new written)", f"{len(ids):,}")
    for reason, items in sorted(report.skipped.items()):
        table.add_row("skipped", reason, f"{len(items):,}")
    for reason, items in sorted(report.rejected.items()):
        table.add_row("rejected", reason, f"{len(items):,}")
    table.add_row("conflicts", "existing value differs (existing kept)", f"{len(report.conflicts):,}")
    if report.unwritten:
        table.add_row("not written", "facts a merged record lacks (curate them to add them)", f"{report.unwritten:,}")
    return table
