"""IRIs: the configurable base and the namespaces under it.

The ontology's terms live under BASE/ontology#, records under BASE/id/,
sources under BASE/source/, statements under BASE/statement/ and countries
under BASE/country/. The base defaults to a documentation domain and is set
with CHOKEPOINT_BASE for a deployment that has its own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rdflib import Namespace

DEFAULT_BASE = "https://example.org/chokepoint/"
ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
WIKIDATA = Namespace("http://www.wikidata.org/entity/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SCHEMA = Namespace("https://schema.org/")


@dataclass(frozen=True)
class Namespaces:
    """The namespaces of one deployment, all under its base IRI."""

    base: str

    @property
    def cp(self) -> Namespace:
        return Namespace(self.base + "ontology#")

    @property
    def id(self) -> Namespace:
        return Namespace(self.base + "id/")

    @property
    def source(self) -> Namespace:
        return Namespace(self.base + "source/")

    @property
    def statement(self) -> Namespace:
        return Namespace(self.base + "statement/")

    @property
    def country(self) -> Namespace:
        return Namespace(self.base + "country/")


def configured_base() -> str:
    """The base IRI from CHOKEPOINT_BASE, or the default; always ends with / or #."""
    base = os.environ.get("CHOKEPOINT_BASE", DEFAULT_BASE)
    return base if base.endswith(("/", "#")) else base + "/"
