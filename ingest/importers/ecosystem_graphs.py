"""Stanford CRFM Ecosystem Graphs assets (YAML) into Chokepoint models and datasets.

The data has known defects: dependencies that name no asset, licences spelled
many ways, wrong nationalities, several organisations joined with commas. This
importer resolves what it can (names and aliases ignoring case and punctuation,
licences normalised to SPDX ids or known licence records) and reports the rest;
nothing it cannot resolve is written.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest.importers.common import Catalogue, Progress, Report, fact, no_progress
from ingest.lookalikes import normalised
from ingest.problems import suggestion

DATASET = "ecosystem-graphs"
DEFAULT_SOURCE = "ecosystem-graphs-2025-01-24"
FOLDERS = {"model": "models", "dataset": "datasets"}
NOT_STATED = {"", "unknown", "unknkown", "none", "na", "notapplicable", "custom", "unspecified"}
# Spellings met in Ecosystem Graphs (normalised: lowercase, no punctuation) -> SPDX id
SPDX = {
    "apache20": "Apache-2.0", "apachelicense20": "Apache-2.0", "apache2": "Apache-2.0", "apachelicenseversion20": "Apache-2.0",
    "mit": "MIT", "mitlicense": "MIT",
    "ccby40": "CC-BY-4.0", "creativecommonsattribution40": "CC-BY-4.0",
    "ccbync40": "CC-BY-NC-4.0", "ccbysa40": "CC-BY-SA-4.0", "ccbyncsa40": "CC-BY-NC-SA-4.0", "cc010": "CC0-1.0", "cc0": "CC0-1.0",
    "odcby10": "ODC-By-1.0", "odcby": "ODC-By-1.0",
    "bsd3clause": "BSD-3-Clause", "bsd3": "BSD-3-Clause", "bsd2clause": "BSD-2-Clause",
    "gplv3": "GPL-3.0-only", "gpl30": "GPL-3.0-only", "agpl30": "AGPL-3.0-only", "mpl20": "MPL-2.0",
}
SPDX_NAMES = {
    "Apache-2.0": "Apache License 2.0", "MIT": "MIT License", "CC-BY-4.0": "Creative Commons Attribution 4.0 International",
    "CC-BY-NC-4.0": "Creative Commons Attribution Non Commercial 4.0 International",
    "CC-BY-SA-4.0": "Creative Commons Attribution Share Alike 4.0 International",
    "CC-BY-NC-SA-4.0": "Creative Commons Attribution Non Commercial Share Alike 4.0 International",
    "CC0-1.0": "Creative Commons Zero v1.0 Universal", "ODC-By-1.0": "Open Data Commons Attribution License v1.0",
    "BSD-3-Clause": 'BSD 3-Clause "New" or "Revised" License', "BSD-2-Clause": 'BSD 2-Clause "Simplified" License',
    "GPL-3.0-only": "GNU General Public License v3.0 only", "AGPL-3.0-only": "GNU Affero General Public License v3.0",
    "MPL-2.0": "Mozilla Public License 2.0",
}
NATIONALITIES = {"usa": "US", "us": "US", "uk": "GB", "china": "CN", "uae": "AE", "israel": "IL", "germany": "DE",
                 "japan": "JP", "russia": "RU", "belgium": "BE", "southkorea": "KR", "singapore": "SG", "sweden": "SE",
                 "canada": "CA", "france": "FR", "india": "IN", "switzerland": "CH", "netherlands": "NL", "finland": "FI"}


class EcosystemGraphsError(Exception):
    """A directory that holds no Ecosystem Graphs asset files."""


def _value(x: Any) -> Any:
    return x.get("value") if isinstance(x, dict) else x


@dataclass
class Asset:
    name: str
    type: str
    file: str
    data: dict
    id: str | None = None            # the Chokepoint id it became (new or merged)
    new: bool = False
    problem: str | None = None       # why it was not imported
    deps: list[str] = field(default_factory=list)

    @property
    def row(self) -> str:
        return f"Ecosystem Graphs {self.file}: {self.name}"


def read_assets(directory: Path) -> list[Asset]:
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files and (directory / "assets").is_dir():
        files = sorted((directory / "assets").glob("*.yaml"))
    if not files:
        raise EcosystemGraphsError(f"{directory}: no asset files (*.yaml) here or in {directory / 'assets'}")
    assets = []
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for item in document if isinstance(document, list) else []:
            if isinstance(item, dict):
                deps = _value(item.get("dependencies")) or []
                assets.append(Asset(str(item.get("name") or "").strip(), str(item.get("type") or "").strip().lower(),
                                    path.name, item, deps=[str(d).strip() for d in deps if str(d).strip()] if isinstance(deps, list) else []))
    return assets


class EcosystemGraphsImport:
    """One run of `chokepoint import ecosystem-graphs`."""

    def __init__(self, data_dir: Path, source: str = DEFAULT_SOURCE, progress: Progress = no_progress):
        self.source = source
        self.catalogue = Catalogue(data_dir, DATASET, source)
        self.report = Report(DATASET)
        self.progress = progress

    def run(self, directory: Path) -> None:
        assets = read_assets(directory)
        existing = self.catalogue.existing.get(self.source)
        if existing is None or existing.folder != "sources":
            raise EcosystemGraphsError(f"the source '{self.source}' is not a record in data/sources/; add it, or name another with --source")
        by_name: dict[str, Asset] = {}
        for asset in self.progress(assets, len(assets), "assets"):
            self._asset(asset, by_name)
        for asset in assets:
            if asset.id:
                self._dependencies(asset, by_name)

    def _asset(self, a: Asset, by_name: dict[str, Asset]) -> None:
        if not a.name:
            a.problem = "no name"
            return self.report.reject("asset without a name", f"Ecosystem Graphs {a.file}")
        first = by_name.setdefault(normalised(a.name), a)
        if first is not a:
            a.problem = "duplicate"
            return self.report.reject("same name as an earlier asset", f"{a.row} (first in {first.file})")
        folder = FOLDERS.get(a.type)
        if folder is None:
            a.problem = "type"
            return self.report.skip(f"type '{a.type or 'none'}' has no Chokepoint class (applications are not recorded)", a.row)
        orgs = [o.strip() for o in str(_value(a.data.get("organization")) or "").split(",") if o.strip()]
        actors = []
        for org in orgs:
            found = self.catalogue.find("actors", org)
            if found:
                actors.append(found)
            else:
                self.report.reject("organization is not a known actor (add it, or an alias, to data/actors/)",
                                   f"{a.row}: {org!r}")
        if folder == "models" and not actors:
            a.problem = "developer"
            return
        self._nationality(a, actors)
        merged = self.catalogue.find(folder, a.name)
        merged = merged if merged and not self.catalogue.is_new(merged) else None
        facts: dict[str, Any] = {}
        key = "developed_by" if folder == "models" else "curated_by"
        if actors:
            facts[key] = [fact(i, a.row, reference=True) for i in dict.fromkeys(actors)]
        released = self._date(a)
        if released:
            facts["released"] = fact(released, a.row)
        licence = self._licence(a, create=merged is None)
        if licence:
            facts["license"] = fact(licence, a.row, reference=True)
        access = str(_value(a.data.get("access")) or "").strip().lower()
        if folder == "models" and access in ("open", "closed", "limited"):
            facts["open_weights"] = fact(access == "open", a.row, note=f"Ecosystem Graphs access: {access}")
        if merged:
            a.id = merged
            self.report.merged[folder].add(merged)
            for k, value in facts.items():
                for item in value if isinstance(value, list) else [value]:
                    self.catalogue.compare(self.report, merged, k, item.get("id", item.get("value")), a.row)
            return
        a.id, a.new = self.catalogue.add(folder, a.name, {"source": self.source, **facts}), True

    def _date(self, a: Asset) -> dt.date | int | None:
        value = _value(a.data.get("created_date"))
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date) or (isinstance(value, int) and 1900 < value < 2100):
            return value
        if value not in (None, "", "unknown", "none"):
            self.report.reject("fact dropped: created_date is not a date", f"{a.row}: {value!r}")
        return None

    def _licence(self, a: Asset, create: bool = True) -> str | None:
        """The id of the licence record the asset's licence names, creating one for a known SPDX id."""
        raw = str(_value(a.data.get("license")) or "").strip()
        text = re.sub(r"\s*\([^)]*\)\s*$", "", raw).strip()      # 'CC BY NC 4.0 (model weights)'
        if normalised(text) in NOT_STATED:
            return None
        found = self.catalogue.find("licenses", text)
        if found:
            return found
        spdx = SPDX.get(normalised(text))
        if spdx and (found := self.catalogue.find("licenses", spdx)):
            return found
        if spdx in SPDX_NAMES and not create:
            return spdx            # compared with the merged record's licence; no record is made for it
        if spdx in SPDX_NAMES:
            return self.catalogue.add("licenses", SPDX_NAMES[spdx], {"aliases": [spdx], "source": self.source,
                                                                     "spdx": fact(spdx, a.row)},
                                         id_hint=spdx.lower())
        self.report.reject("fact dropped: licence is neither a known licence nor an SPDX id", f"{a.row}: {raw!r}")
        return None

    def _nationality(self, a: Asset, actors: list[str]) -> None:
        value = str(a.data.get("nationality") or "").strip()
        code = NATIONALITIES.get(normalised(value))
        if code is None or len(actors) != 1:
            return
        self.catalogue.compare(self.report, actors[0], "headquartered_in", code, a.row,
                               shown=f"nationality {value!r}")

    def _dependencies(self, a: Asset, by_name: dict[str, Asset]) -> None:
        models, datasets = [], []
        for dep in a.deps:
            target = by_name.get(normalised(dep))
            if target is None:
                found = self.catalogue.find("datasets", dep) or self.catalogue.find("models", dep)
                if found is None:
                    hint = suggestion(dep, [x.name for x in by_name.values()])
                    self.report.reject("dependency names no asset and no record", f"{a.row} depends on {dep!r}{hint}")
                    continue
                kind = self.catalogue.new_folder.get(found) or self.catalogue.existing[found].folder
            elif target.id is None:
                if target.type not in FOLDERS:
                    self.report.skip("dependency on an application (not recorded)", f"{a.row} -> {dep}")
                else:
                    self.report.reject("dependency names an asset that was not imported", f"{a.row} depends on {dep!r}")
                continue
            else:
                found, kind = target.id, FOLDERS[target.type]
            (models if kind == "models" else datasets).append(found)
        folder = FOLDERS[a.type]
        facts: dict[str, list] = {}
        if datasets:
            facts["trained_on" if folder == "models" else "derived_from"] = [fact(d, a.row, reference=True) for d in dict.fromkeys(datasets) if d != a.id]
        if models and folder == "models":
            if len(set(models)) == 1 and models[0] != a.id:
                facts["base_model"] = [fact(models[0], a.row, reference=True, note="the one model Ecosystem Graphs lists as a dependency")]
            elif len(set(models)) > 1:
                self.report.skip("several model dependencies (no single base model to record)", a.row)
        elif models:
            self.report.skip("dataset built with a model (not recorded)", a.row)
        for key, values in facts.items():
            if not values:
                continue
            if a.new:
                self.catalogue.new[a.id][key] = values if len(values) > 1 else values[0]
            else:
                for item in values:
                    self.catalogue.compare(self.report, a.id, key, item["id"], a.row)
