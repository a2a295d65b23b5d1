"""Epoch AI's CSV databases (AI models, ML hardware, GPU clusters) into Chokepoint records.

Columns are found by name (Epoch renames them between snapshots; known renames
are listed in COLUMNS). Every fact cites the snapshot's source and carries the
row it came from in its `row` qualifier. Training compute is Epoch's estimate
unless Epoch marks the figure as reported by the developer with confidence
"Confident".
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry

from ingest.importers.common import Catalogue, Progress, Report, fact, no_progress

DATASET = "epoch"
DEFAULT_SOURCES = {"models": "epoch-ai-models-2025-06", "hardware": "epoch-ai-hardware-2025-06",
                   "clusters": "epoch-ai-gpu-clusters"}
TITLES = {"models": "models", "hardware": "hardware", "clusters": "GPU clusters"}

# canonical column -> other names Epoch has used for it
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "models": {
        "Model": ("System",), "Organization": ("Organisation",), "Publication date": ("Publication Date",),
        "Parameters": (), "Training compute (FLOP)": ("Training compute (FLOPs)",), "Training hardware": (),
        "Hardware quantity": (), "Base model": (), "Model accessibility": (), "Confidence": (),
        "Country (of organization)": ("Country",), "Training compute estimation method": (),
        "Organization categorization": ("Organization categorization (from Organization)",),
    },
    "hardware": {
        "Hardware name": ("Name",), "Manufacturer": (), "Foundry": (), "Process size (nm)": (), "Release date": (),
        "Tensor-FP16/BF16 performance (FLOP/s)": (), "Memory size per board (Byte)": (), "ML hardware": (),
    },
    "clusters": {
        "Name": (), "Owner": (), "Users": (), "Country": (), "Status": (), "Chip type": (), "Chip quantity": (),
        "H100 equivalents": (), "Power Capacity (MW)": ("Power capacity (MW)",), "First Operational Date": (),
    },
}
REQUIRED = {"models": ("Model", "Organization", "Publication date"), "hardware": ("Hardware name",),
            "clusters": ("Name", "Owner")}
KINDS = {"industry": "company", "academia": "university", "government": "government", "research collective": "lab"}
STATUSES = {"existing": "existing", "operational": "existing", "planned": "planned", "decommissioned": "decommissioned"}
COUNTRY_NAMES = {"korea (republic of)": "KR", "russia": "RU", "iran (islamic republic of)": "IR", "taiwan": "TW",
                 "hong kong": "HK", "uk": "GB", "usa": "US", "south korea": "KR", "uae": "AE"}


class EpochError(Exception):
    """A file that cannot be imported at all (unknown layout, a required column missing)."""


@dataclass
class Table:
    path: Path
    kind: str
    columns: dict[str, str]          # canonical name -> the file's column
    rows: list[dict[str, str]]

    def get(self, row: dict[str, str], column: str) -> str:
        name = self.columns.get(column)
        return (row.get(name) or "").strip() if name else ""


def read_table(path: Path) -> Table:
    """The file's rows, its kind (models, hardware, clusters) and where each known column is."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        rows = [{(k or "").strip(): v for k, v in row.items()} for row in reader]
    present = set(header)
    kind = ("models" if present & {"Model", "System"} else "hardware" if present & {"Hardware name"}
            else "clusters" if present & {"Owner", "Chip type", "H100 equivalents"} else None)
    if kind is None:
        raise EpochError(f"{path}: not an Epoch AI file this importer knows: expected a 'Model' (or 'System') column "
                         f"for AI models, 'Hardware name' for ML hardware, or 'Name' with 'Owner' and 'Chip type' for "
                         f"GPU clusters; found: {', '.join(header) or 'no header'}")
    columns = {}
    for canonical, renames in COLUMNS[kind].items():
        found = next((c for c in (canonical, *renames) if c in present), None)
        if found:
            columns[canonical] = found
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if missing:
        also = "; ".join(f"'{c}' may also be called {', '.join(repr(r) for r in COLUMNS[kind][c])}"
                         for c in missing if COLUMNS[kind][c])
        raise EpochError(f"{path}: the Epoch AI {TITLES[kind]} file lacks the required column"
                         f"{'s' * (len(missing) > 1)} {', '.join(repr(c) for c in missing)}"
                         f"{' (' + also + ')' if also else ''}; found: {', '.join(header)}")
    return Table(path, kind, columns, rows)


def split_list(text: str) -> list[str]:
    """Epoch joins several values with ',' and no space; a ', ' belongs to a name ('SambaNova Systems, Inc')."""
    return [p.strip().strip('"').strip() for p in re.split(r",(?=\S)", text) if p.strip().strip('"').strip()]


def number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if value > 0 else None


def whole(value: float) -> float | int:
    """A number written as an integer when it is one (a node size, a count, megawatts)."""
    return int(value) if value.is_integer() else value


def date(text: str) -> dt.date | str | None:
    text = text.strip()[:10]
    for fmt, keep in (("%Y-%m-%d", "day"), ("%m/%d/%Y", "day"), ("%Y-%m", "month")):
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return parsed if keep == "day" else parsed.strftime("%Y-%m")
    return None


def country(text: str) -> str | None:
    text = text.strip()
    if not text or text.lower() == "multinational":
        return None
    if text.lower() in COUNTRY_NAMES:
        return COUNTRY_NAMES[text.lower()]
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None


class EpochImport:
    """One run of `chokepoint import epoch`: the catalogue it joins to and its report."""

    def __init__(self, data_dir: Path, sources: dict[str, str] | None = None, min_compute: float = 1e23,
                 all_hardware: bool = False, progress: Progress = no_progress):
        self.sources = {**DEFAULT_SOURCES, **(sources or {})}
        self.catalogue = Catalogue(data_dir, DATASET, self.sources["models"])
        self.report = Report(DATASET)
        self.min_compute, self.all_hardware, self.progress = min_compute, all_hardware, progress
        self.pending_bases: list[tuple[str, str, str]] = []    # (model id, base model name, row)

    def run(self, paths: list[Path]) -> None:
        tables = [read_table(p) for p in paths]
        for table in tables:
            source = self.sources[table.kind]
            if self.catalogue.existing.get(source) is None or self.catalogue.existing[source].folder != "sources":
                raise EpochError(f"{table.path}: the source '{source}' for Epoch AI {TITLES[table.kind]} is not a record in "
                                 f"data/sources/; add it, or name another with --source {table.kind}=ID")
        self.catalogue.source = ", ".join(sorted({self.sources[t.kind] for t in tables}))
        order = {"hardware": 0, "models": 1, "clusters": 2}     # chips first, so models and clusters can refer to them
        for table in sorted(tables, key=lambda t: order[t.kind]):
            handler = getattr(self, f"_{table.kind}_row")
            for number_, row in enumerate(self.progress(table.rows, len(table.rows), f"{table.path.name}"), start=1):
                handler(table, number_, row)
        self._resolve_base_models()

    # -- actors
    def _actor(self, name: str, kind: str | None, source: str, row: str, country_code: str | None = None) -> str | None:
        """The existing actor the name means, or a new one when its kind is known; None otherwise."""
        found = self.catalogue.find("actors", name)
        if found or kind is None:
            return found
        fields: dict[str, Any] = {"kind": kind, "source": source}
        if country_code:
            fields["headquartered_in"] = fact(country_code, row)
        return self.catalogue.add("actors", name, fields)

    def _chip(self, name: str) -> str | None:
        return self.catalogue.find("chips", name)

    # -- AI models
    def _models_row(self, t: Table, n: int, r: dict[str, str]) -> None:
        name = t.get(r, "Model")
        row = f"Epoch AI row {n} (Model: {name})"
        if not name:
            return self.report.reject("row without a model name", f"Epoch AI row {n}")
        compute = number(t.get(r, "Training compute (FLOP)"))
        if compute is None or compute < self.min_compute:
            return self.report.skip(f"training compute unknown or below {self.min_compute:g} FLOP (--min-compute)", row)
        orgs = split_list(t.get(r, "Organization"))
        if not orgs:
            return self.report.reject("no organization (a model needs a developer)", row)
        categories = [c.strip().lower() for c in t.get(r, "Organization categorization").split(",")]
        countries = split_list(t.get(r, "Country (of organization)"))
        existing = self.catalogue.find("models", name)
        if existing and self.catalogue.is_new(existing):
            return self.report.reject("same model name as an earlier row", f"{row} (first: {existing})")
        unknown = [o for i, o in enumerate(orgs) if not self.catalogue.find("actors", o)
                   and KINDS.get(categories[i] if len(categories) == len(orgs) else "") is None]
        if unknown and not existing:
            return self.report.reject("organization is not a known actor and Epoch gives no category to create it",
                                      f"{row}: {', '.join(map(repr, unknown))}")
        source = self.sources["models"]
        developers = []
        for i, org in enumerate(orgs):   # a merged model creates no actors: only its known developers are compared
            kind = KINDS.get(categories[i]) if len(categories) == len(orgs) and not existing else None
            code = country(countries[i]) if len(countries) == len(orgs) else None
            if (developer := self._actor(org, kind, source, row, code)) is not None:
                developers.append(developer)
        facts: dict[str, Any] = {}
        facts["developed_by"] = [fact(d, row, reference=True) for d in dict.fromkeys(developers)]
        released = date(t.get(r, "Publication date"))
        if released:
            facts["released"] = fact(released, row)
        elif t.get(r, "Publication date"):
            self.report.reject("fact dropped: unreadable date", f"{row}: Publication date {t.get(r, 'Publication date')!r}")
        params = number(t.get(r, "Parameters"))
        if params:
            facts["parameters"] = fact(int(round(params)), row)
        facts["training_compute_flop"] = self._compute(t, r, compute, row)
        access = t.get(r, "Model accessibility").lower()
        if access:
            facts["open_weights"] = fact(access.startswith("open weights"), row, note=f"Epoch AI model accessibility: {t.get(r, 'Model accessibility')}")
        chips = split_list(t.get(r, "Training hardware"))
        quantity = number(t.get(r, "Hardware quantity"))
        trained_with = []
        for chip_name in chips:
            chip = self._chip(chip_name)
            if chip is None:
                self.report.reject("fact dropped: training hardware is not a known chip (import Epoch's hardware file in the same run, or add an alias)",
                                   f"{row}: {chip_name!r}")
                continue
            count = int(quantity) if quantity and len(chips) == 1 else None
            trained_with.append(fact(chip, row, reference=True, count=count))
        if trained_with:
            facts["trained_with"] = trained_with
        if existing:
            self.report.merged["models"].add(existing)
            for key, value in facts.items():
                for item in value if isinstance(value, list) else [value]:
                    shown = item.get("id", item.get("value"))
                    self.catalogue.compare(self.report, existing, key, shown, row)
            model_id = existing
        else:
            model_id = self.catalogue.add("models", name, {"source": source, **facts})
        for base in split_list(t.get(r, "Base model"))[:1] if len(split_list(t.get(r, "Base model"))) == 1 else []:
            self.pending_bases.append((model_id, base, row))
        if len(split_list(t.get(r, "Base model"))) > 1:
            self.report.reject("fact dropped: several base models (Epoch lists components, not a single parent)",
                               f"{row}: {t.get(r, 'Base model')!r}")

    def _compute(self, t: Table, r: dict[str, str], compute: float, row: str) -> dict:
        confidence = t.get(r, "Confidence") or "not given"
        method = t.get(r, "Training compute estimation method") or "not given"
        reported = method.lower() == "reported" and confidence.lower() == "confident"
        if reported:
            return fact(compute, row, note=f"reported by the developer (Epoch AI: method {method}, confidence {confidence})")
        return fact(compute, row, estimate=True, note=f"Epoch AI estimate (method: {method}; confidence: {confidence})")

    def _resolve_base_models(self) -> None:
        for model_id, base_name, row in self.pending_bases:
            base = self.catalogue.find("models", base_name)
            if base is None:
                self.report.reject("fact dropped: base model is not a known model (nor an imported row)", f"{row}: {base_name!r}")
            elif base == model_id:
                continue
            elif self.catalogue.is_new(model_id):
                self.catalogue.new[model_id]["base_model"] = fact(base, row, reference=True)
            else:
                self.catalogue.compare(self.report, model_id, "base_model", base, row)

    # -- ML hardware
    def _hardware_row(self, t: Table, n: int, r: dict[str, str]) -> None:
        name = t.get(r, "Hardware name")
        row = f"Epoch AI hardware row {n} (Hardware name: {name})"
        if not name:
            return self.report.reject("row without a hardware name", f"Epoch AI hardware row {n}")
        if "ML hardware" in t.columns and not self.all_hardware and t.get(r, "ML hardware").lower() != "checked":
            return self.report.skip("not marked as ML hardware by Epoch (--all-hardware imports them)", row)
        existing = self.catalogue.find("chips", name)
        if existing and self.catalogue.is_new(existing):
            return self.report.reject("same hardware name as an earlier row", f"{row} (first: {existing})")
        source = self.sources["hardware"]
        facts: dict[str, Any] = {}
        maker = t.get(r, "Manufacturer")
        if maker:
            kind = "university" if "university" in maker.lower() else "company"
            facts["designed_by"] = fact(self._actor(maker, kind, source, row), row, reference=True)
        foundries = [self._actor(f, "company", source, row) for f in split_list(t.get(r, "Foundry"))]
        if foundries:
            facts["fabricated_by"] = [fact(f, row, reference=True) for f in dict.fromkeys(foundries)]
        node = number(t.get(r, "Process size (nm)"))
        if node:
            facts["process_node_nm"] = fact(whole(node), row)
        released = date(t.get(r, "Release date"))
        if released:
            facts["released"] = fact(released, row)
        memory = number(t.get(r, "Memory size per board (Byte)"))
        if memory:
            facts["memory_gb"] = fact(round(memory / 1e9, 1), row, note="Epoch AI memory size per board, in bytes / 1e9")
        bf16 = number(t.get(r, "Tensor-FP16/BF16 performance (FLOP/s)"))
        if bf16:
            facts["bf16_tflops"] = fact(round(bf16 / 1e12, 1), row, note="Epoch AI tensor FP16/BF16 performance, FLOP/s / 1e12")
        if existing:
            self.report.merged["chips"].add(existing)
            for key, value in facts.items():
                for item in value if isinstance(value, list) else [value]:
                    self.catalogue.compare(self.report, existing, key, item.get("id", item.get("value")), row)
            return
        chip = self.catalogue.add("chips", name, {"source": source, **facts})
        self._near_duplicate("chips", chip, name)

    def _near_duplicate(self, folder: str, new_id: str, name: str) -> None:
        from ingest.lookalikes import normalised

        key, best = normalised(name), (0, "")
        for record in self.catalogue.existing.values():
            if record.folder == folder:
                for other in [record.fields.get("name")] + list(record.fields.get("aliases") or []):
                    if isinstance(other, str) and len(normalised(other)) >= 4 and key.startswith(normalised(other)):
                        best = max(best, (len(normalised(other)), record.id))
        if best[1]:
            self.report.notes.append(f"new {folder[:-1]} '{name}' ({new_id}) may be a variant of '{best[1]}': "
                                     f"add the name as an alias there to merge them")

    # -- GPU clusters
    def _clusters_row(self, t: Table, n: int, r: dict[str, str]) -> None:
        name = t.get(r, "Name")
        row = f"Epoch AI cluster row {n} (Name: {name})"
        if not name:
            return self.report.reject("row without a cluster name", f"Epoch AI cluster row {n}")
        existing = self.catalogue.find("clusters", name)
        if existing and self.catalogue.is_new(existing):
            return self.report.reject("same cluster name as an earlier row", f"{row} (first: {existing})")
        facts: dict[str, Any] = {}
        for column, key in (("Owner", "owned_by"), ("Users", "used_by")):
            ids = []
            for actor_name in split_list(t.get(r, column)):
                actor = self.catalogue.find("actors", actor_name)
                if actor is None:
                    self.report.reject(f"fact dropped: {column.lower()} is not a known actor", f"{row}: {actor_name!r}")
                else:
                    ids.append(actor)
            if ids:
                facts[key] = [fact(i, row, reference=True) for i in dict.fromkeys(ids)]
        code = country(t.get(r, "Country"))
        if code:
            facts["located_in"] = fact(code, row)
        elif t.get(r, "Country"):
            self.report.reject("fact dropped: country is not an ISO 3166 country", f"{row}: {t.get(r, 'Country')!r}")
        status = t.get(r, "Status")
        if status:
            if status.lower() in STATUSES:
                facts["status"] = fact(STATUSES[status.lower()], row)
            else:
                self.report.reject("fact dropped: status is not existing, planned or decommissioned", f"{row}: {status!r}")
        chip_name = t.get(r, "Chip type")
        if chip_name:
            chip = self._chip(chip_name)
            quantity = number(t.get(r, "Chip quantity"))
            if chip is None:
                self.report.reject("fact dropped: chip type is not a known chip", f"{row}: {chip_name!r}")
            else:
                facts["chips"] = [fact(chip, row, reference=True, count=int(quantity) if quantity else None)]
        h100 = number(t.get(r, "H100 equivalents"))
        if h100:
            facts["h100_equivalents"] = fact(whole(h100), row, estimate=True,
                                             note="Epoch AI estimate of H100-equivalent capacity")
        power = number(t.get(r, "Power Capacity (MW)"))
        if power:
            facts["power_mw"] = fact(whole(power), row)
        operational = date(t.get(r, "First Operational Date"))
        if operational:
            facts["operational"] = fact(operational, row)
        if existing:
            self.report.merged["clusters"].add(existing)
            for key, value in facts.items():
                for item in value if isinstance(value, list) else [value]:
                    self.catalogue.compare(self.report, existing, key, item.get("id", item.get("value")), row)
            return
        self.catalogue.add("clusters", name, {"source": self.sources["clusters"], **facts})
