"""The graph as plain Python indexes, built once when the service loads.

Requests walk these dicts; none builds a graph or runs SPARQL for the control
analysis. Built from the store with a handful of SPARQL queries, so it reads
whatever the build wrote (the ontology decides what a key or class is).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from graph_service.store import GraphStore
from ingest.schema import Schema

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"


@dataclass
class Source:
    id: str
    title: str
    url: str | None = None
    publisher: str | None = None
    date: str | None = None


@dataclass(eq=False)
class Fact:
    """One statement: subject, predicate key, object, with its qualifiers and its source.

    Compared by identity (each is one statement of the graph), so answers can be memoised per fact.
    """

    subject: str
    key: str
    object: Any                     # an id (str) for references, a country code, or a Python literal
    is_reference: bool
    source: str | None
    qualifiers: dict[str, Any] = field(default_factory=dict)

    def valid_on(self, day: dt.date | None) -> bool:
        if day is None:
            return True
        start, end = self.qualifiers.get("from"), self.qualifiers.get("until")
        return (start is None or _earliest(start) <= day) and (end is None or day <= _latest(end))


@dataclass
class Entity:
    id: str
    cls: str                        # the ontology class name: Actor, Model, Chip, ...
    name: str
    kind: str | None = None         # for actors: company, lab, government, ...
    aliases: list[str] = field(default_factory=list)
    wikidata: str | None = None
    description: str | None = None
    homepage: str | None = None
    source: str | None = None


def _earliest(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date(int(str(value)[:4]), int((str(value) + "-01")[5:7]), 1)


def _latest(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if len(text) == 4:
        return dt.date(int(text), 12, 31)
    year, month = int(text[:4]), int(text[5:7])
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))


def _python(term: ox.Term) -> Any:
    if isinstance(term, ox.Literal):
        kind = term.datatype.value.rsplit("#", 1)[-1]
        if kind == "boolean":
            return term.value == "true"
        if kind in ("integer", "int", "long"):
            return int(term.value)
        if kind in ("decimal", "double", "float"):
            return float(term.value)
        if kind == "date":
            return dt.date.fromisoformat(term.value)
        return term.value
    return term.value


@dataclass
class Projection:
    """Entities, facts and the indexes the control analysis walks."""

    schema: Schema
    entities: dict[str, Entity]
    sources: dict[str, Source]
    facts_out: dict[str, list[Fact]]            # subject id -> facts about it
    facts_in: dict[str, list[Fact]]             # referenced id or country code -> facts pointing at it
    # By (node, key) too: a chip or a country has facts from thousands of models and actors pointing at it,
    # and a lookup of one key must cost what it finds, not what the node has.
    out_by_key: dict[tuple[str, str], list[Fact]] = field(default_factory=dict)
    in_by_key: dict[tuple[str, str], list[Fact]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, facts in ((self.out_by_key, self.facts_out), (self.in_by_key, self.facts_in)):
            for node, node_facts in facts.items():
                for fact in node_facts:
                    index.setdefault((node, fact.key), []).append(fact)

    def out(self, subject: str, key: str, day: dt.date | None = None) -> list[Fact]:
        return [f for f in self.out_by_key.get((subject, key), ()) if f.valid_on(day)]

    def incoming(self, obj: str, key: str, day: dt.date | None = None) -> list[Fact]:
        return [f for f in self.in_by_key.get((obj, key), ()) if f.valid_on(day)]

    def value(self, subject: str, key: str) -> Any:
        """The value that holds today (the first, as statements are sorted), else the first of any date."""
        facts = self.out(subject, key, dt.date.today()) or self.out(subject, key)
        return facts[0].object if facts else None

    @classmethod
    def load(cls, graph: GraphStore, schema: Schema) -> "Projection":
        ns = schema.ns
        ids, srcs, countries = str(ns.id), str(ns.source), str(ns.country)
        keys = {str(p.iri): p for c in schema.classes.values() for p in c.properties.values()}
        quals = {str(q.iri): q.key for q in schema.qualifiers.values()}
        classes = {str(c.iri): c.name for c in schema.classes.values()}
        kinds = {str(iri): kind for kind, iri in schema.kinds.items()}

        def short(term: ox.Term) -> Any:
            text = term.value if isinstance(term, ox.NamedNode) else None
            for prefix in (ids, srcs, countries):
                if text and text.startswith(prefix):
                    return text[len(prefix):]
            return _python(term)

        entities: dict[str, Entity] = {}
        for row in graph.store.query("SELECT ?e ?t WHERE { ?e a ?t }"):
            e, t = row["e"].value, row["t"].value
            if e.startswith(ids) and (t in classes or t in kinds):
                entity = entities.setdefault(e[len(ids):], Entity(e[len(ids):], "", ""))
                if t in kinds:
                    entity.kind = kinds[t]
                else:
                    entity.cls = classes[t]
        identity = {"name": "name", "aliases": "aliases", "wikidata": "wikidata", "description": "description", "homepage": "homepage"}
        for row in graph.store.query(f"SELECT ?e ?p ?o WHERE {{ ?e ?p ?o FILTER(STRSTARTS(STR(?e), '{ids}')) }}"):
            entity = entities.get(row["e"].value[len(ids):])
            prop = keys.get(row["p"].value)
            if entity is None:
                continue
            if row["p"].value == PROV_DERIVED:
                entity.source = short(row["o"])
            elif prop is not None and prop.key in identity:
                value = row["o"].value
                if prop.key == "aliases":
                    entity.aliases.append(value)
                elif prop.key == "wikidata":
                    entity.wikidata = value
                else:
                    setattr(entity, prop.key, value)
        for entity in entities.values():
            entity.aliases.sort()

        sources: dict[str, Source] = {}
        source_keys = {str(p.iri): p.key for p in schema.classes["Source"].properties.values()}
        for row in graph.store.query(f"SELECT ?s ?p ?o WHERE {{ ?s a <{schema.cp.Source}> ; ?p ?o }}"):
            sid = row["s"].value[len(srcs):]
            source = sources.setdefault(sid, Source(sid, sid))
            key = source_keys.get(row["p"].value)
            if key in ("title", "url", "publisher", "date"):
                setattr(source, key, row["o"].value)

        rows: dict[str, dict[str, Any]] = defaultdict(dict)
        for row in graph.store.query(f"SELECT ?st ?p ?o WHERE {{ ?st a <{schema.cp.Statement}> ; ?p ?o }}"):
            rows[row["st"].value][row["p"].value] = row["o"]
        facts_out: dict[str, list[Fact]] = defaultdict(list)
        facts_in: dict[str, list[Fact]] = defaultdict(list)
        for statement in sorted(rows):
            row = rows[statement]
            prop = keys.get(row[RDF_NS + "predicate"].value)
            if prop is None:
                continue
            fact = Fact(
                subject=short(row[RDF_NS + "subject"]),
                key=prop.key,
                object=short(row[RDF_NS + "object"]),
                is_reference=prop.is_reference or prop.is_country,
                source=short(row[PROV_DERIVED]) if PROV_DERIVED in row else None,
                qualifiers={quals[p]: short(v) for p, v in row.items() if p in quals and p != PROV_DERIVED},
            )
            facts_out[fact.subject].append(fact)
            if fact.is_reference:
                facts_in[fact.object].append(fact)
        return cls(schema, entities, sources, dict(facts_out), dict(facts_in))
