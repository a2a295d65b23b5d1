"""Records to RDF, the way Wikidata states facts.

Each fact becomes the direct triple (`llama-3-70b developedBy meta`), for easy
querying, and a cp:Statement node that names that triple (rdf:subject,
rdf:predicate, rdf:object) and carries its qualifiers and its reference
(prov:wasDerivedFrom a cp:Source). Statement IRIs are hashes of their content,
so the same data always gives the same graph.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.term import Node

from ingest.problems import Problem, suggestion
from ingest.records import Record, unknown_key
from ingest.schema import PropertySpec, Schema, government_only_keys
from ingest.values import CONVERTERS, country_code, country_name, earliest_day, latest_day, to_spdx, to_wikidata
from ingest.vocab import PROV
from ingest.yaml_lines import LineDict, LineList

Origin = tuple[str, int]  # (file, line) a node was written at


@dataclass
class Built:
    """The graph built from data/, where each node came from, and what was wrong."""

    graph: Graph
    origins: dict[Node, Origin] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    faulty: set[Node] = field(default_factory=set)  # records with a problem already reported


def _article(label: str) -> str:
    return ("an " if label[:1] in "aeiou" else "a ") + label


class _Builder:
    def __init__(self, schema: Schema, index: dict[str, Record]):
        self.schema, self.index, self.ns = schema, index, schema.ns
        self.built = Built(Graph())
        self.graph = self.built.graph
        self.government_keys = government_only_keys(schema)

    # -- helpers
    def problem(self, record: Record, line: int, message: str) -> None:
        self.built.problems.append(Problem(record.file, line, message))
        self.built.faulty.add(self.iri(record))

    def iri(self, record: Record) -> URIRef:
        return (self.ns.source if record.cls.directory == "sources" else self.ns.id)[record.id]

    def reference(self, record: Record, line: int, key: str, value: Any, range_: URIRef) -> URIRef | None:
        """The IRI of the record `value` names, if it exists and is of the range class."""
        if not isinstance(value, str):
            self.problem(record, line, f"{key}: expected the id of a record, got {value!r}")
            return None
        target = self.index.get(value)
        wanted = self.schema.class_of(range_)
        if target is None:
            same_class = [i for i, r in self.index.items() if r.cls == wanted]
            hint = suggestion(value, same_class) or f"; add a record with this id under data/{wanted.directory}/"
            self.problem(record, line, f"{key}: '{value}' is not a known {wanted.label} id{hint}")
            return None
        if target.cls != wanted:
            self.problem(record, line, f"{key}: '{value}' is {_article(target.cls.label)}, but {key} takes {_article(wanted.label)}")
            return None
        return self.iri(target)

    def term(self, record: Record, line: int, prop: PropertySpec, value: Any) -> Node | None:
        try:
            if prop.is_country:
                return self.country(country_code(value))
            if prop.is_spdx:
                return to_spdx(value)
            if prop.is_reference:
                return self.reference(record, line, prop.key, value, prop.range)
            if prop.key == "wikidata":
                return to_wikidata(value)
            return CONVERTERS[prop.range](value)
        except ValueError as error:
            self.problem(record, line, f"{prop.key}: {error}")
            return None

    def country(self, code: str) -> URIRef:
        iri = self.ns.country[code]
        self.graph.add((iri, RDF.type, self.schema.cp.Country))
        self.graph.add((iri, RDFS.label, Literal(country_name(code))))
        self.graph.add((iri, SKOS.notation, Literal(code)))
        return iri

    # -- records
    def add_record(self, record: Record) -> None:
        if record.cls.directory == "sources":
            return self.add_source(record)
        subject = self.iri(record)
        self.built.origins[subject] = (record.file, record.line)
        allowed = ["id", "kind", "source"] + list(record.cls.properties) if record.cls.name == "Actor" \
            else ["id", "source"] + list(record.cls.properties)
        self.add_types(record, subject)
        default_source = self.default_source(record, subject)
        for key, value in record.fields.items():
            if key in ("id", "kind", "source"):
                continue
            prop = record.cls.properties.get(key)
            if prop is None:
                self.problem(record, record.line_of(key), unknown_key(key, allowed, _article(record.cls.label)))
            elif key in self.government_keys and record.fields.get("kind") != "government":
                self.problem(record, record.line_of(key), f"{key} is for governments; this actor's kind is '{record.fields.get('kind')}'")
            else:
                self.add_facts(record, subject, prop, value, default_source)
        if "name" not in record.fields:
            self.problem(record, record.line, f"record '{record.id}' has no 'name:'")

    def add_types(self, record: Record, subject: URIRef) -> None:
        self.graph.add((subject, RDF.type, record.cls.iri))
        if record.cls.name != "Actor":
            return
        kind = record.fields.get("kind")
        if kind in self.schema.kinds:
            self.graph.add((subject, RDF.type, self.schema.kinds[kind]))
        else:
            kinds = ", ".join(self.schema.kinds)
            got = f"'{kind}' is not a kind{suggestion(str(kind), self.schema.kinds) or '.'}" if kind else "actor has no 'kind:'."
            self.problem(record, record.line_of("kind"), f"{got} Kinds are: {kinds}")

    def default_source(self, record: Record, subject: URIRef) -> URIRef | None:
        if "source" not in record.fields:
            self.problem(record, record.line, f"record '{record.id}' has no 'source:'; every record names the source of its facts "
                                              "(the id of a record in data/sources/)")
            return None
        source = self.reference(record, record.line_of("source"), "source", record.fields["source"], self.schema.cp.Source)
        if source is not None:
            self.graph.add((subject, PROV.wasDerivedFrom, source))
        return source

    def add_source(self, record: Record) -> None:
        subject = self.iri(record)
        self.built.origins[subject] = (record.file, record.line)
        self.graph.add((subject, RDF.type, record.cls.iri))
        allowed = ["id"] + list(record.cls.properties)
        for key, value in record.fields.items():
            prop = record.cls.properties.get(key)
            if key == "id":
                continue
            if prop is None:
                self.problem(record, record.line_of(key), unknown_key(key, allowed, "a source"))
            elif (term := self.term(record, record.line_of(key), prop, value)) is not None:
                self.graph.add((subject, prop.iri, term))
        if "title" not in record.fields:
            self.problem(record, record.line, f"source '{record.id}' has no 'title:'")
        if "url" not in record.fields and "publisher" not in record.fields:
            self.problem(record, record.line, f"source '{record.id}' needs a 'url:' or a 'publisher:' so a reader can find it")

    # -- facts
    def add_facts(self, record: Record, subject: URIRef, prop: PropertySpec, value: Any, default_source: URIRef | None) -> None:
        items = list(zip(value.lines, value)) if isinstance(value, LineList) else [(record.line_of(prop.key), value)]
        for line, item in items:
            if isinstance(item, LineDict):
                self.add_qualified(record, subject, prop, item, default_source)
            elif (obj := self.term(record, line, prop, item)) is not None:
                self.add_statement(subject, prop, obj, {}, default_source, (record.file, line))

    def add_qualified(self, record: Record, subject: URIRef, prop: PropertySpec, fact: LineDict, default_source: URIRef | None) -> None:
        value_key = "id" if prop.is_reference else "value"
        if value_key not in fact:
            self.problem(record, fact.line, f"{prop.key}: a qualified fact needs '{value_key}:' for the "
                                            f"{'id it refers to' if value_key == 'id' else 'value itself'}")
            return
        obj = self.term(record, fact.lines[value_key], prop, fact[value_key])
        allowed = self.schema.qualifiers_of(prop)
        qualifiers: dict[URIRef, Node] = {}
        source = default_source
        for key, raw in fact.items():
            if key == value_key:
                continue
            if key not in allowed:
                self.problem(record, fact.lines[key], unknown_key(key, [value_key, *allowed], f"a {prop.key} fact"))
                continue
            qual = self.schema.qualifiers[key]
            if (term := self.term(record, fact.lines[key], qual, raw)) is None:
                continue
            if qual.iri == PROV.wasDerivedFrom:
                source = term
            else:
                qualifiers[qual.iri] = term
        start, end = qualifiers.get(self.schema.cp.validFrom), qualifiers.get(self.schema.cp.validUntil)
        if start is not None and end is not None and earliest_day(start) > latest_day(end):
            shown = fact.get(value_key)
            self.problem(record, fact.line, f"{prop.key} '{shown}': from is after until: the interval ends before it starts "
                                            f"(got {fact['from']})")
        if obj is not None:
            self.add_statement(subject, prop, obj, qualifiers, source, (record.file, fact.line))

    def add_statement(self, subject: URIRef, prop: PropertySpec, obj: Node, qualifiers: dict[URIRef, Node],
                      source: URIRef | None, origin: Origin) -> None:
        self.graph.add((subject, prop.iri, obj))
        if prop.iri in (RDFS.label, SKOS.altLabel, OWL.sameAs) or prop.key in ("name", "aliases", "wikidata", "description", "homepage"):
            return  # names and links identify the record; the record's own source covers them
        content = "|".join([subject.n3(), prop.iri.n3(), obj.n3(), str(source)] +
                           sorted(f"{k.n3()}={v.n3()}" for k, v in qualifiers.items()))
        statement = self.ns.statement[hashlib.sha1(content.encode()).hexdigest()[:20]]
        self.built.origins[statement] = origin
        g = self.graph
        g.add((statement, RDF.type, self.schema.cp.Statement))
        g.add((statement, RDF.subject, subject))
        g.add((statement, RDF.predicate, prop.iri))
        g.add((statement, RDF.object, obj))
        if source is not None:
            g.add((statement, PROV.wasDerivedFrom, source))
        for key, value in qualifiers.items():
            g.add((statement, key, value))


def ownership_cycles(records: list[Record], schema: Schema) -> list[Problem]:
    """An actor cannot own itself through a chain of owners and parents."""
    control = {p.key for p in schema.classes["Actor"].properties.values() if p.iri in (schema.cp.ownedBy, schema.cp.subsidiaryOf)}
    edges = nx.DiGraph()
    for record in records:
        if record.cls.name != "Actor":
            continue
        for key in control & set(record.fields):
            values = record.fields[key]
            for item in values if isinstance(values, list) else [values]:
                target = item.get("id") if isinstance(item, dict) else item
                if isinstance(target, str):
                    edges.add_edge(record.id, target, origin=(record.file, record.line_of(key)), key=key)
    problems = []
    for cycle in sorted(nx.simple_cycles(edges), key=lambda c: sorted(c)):
        start = min(cycle)
        cycle = cycle[cycle.index(start):] + cycle[:cycle.index(start)]
        chain = " -> ".join(cycle + [start])
        file, line = edges.edges[cycle[0], cycle[1 % len(cycle)]]["origin"]
        problems.append(Problem(file, line, f"ownership cycle: {chain}; an actor cannot own itself, check the direction of owned_by / subsidiary_of"))
    return problems


def build_graph(records: list[Record], index: dict[str, Record], schema: Schema) -> Built:
    builder = _Builder(schema, index)
    for record in records:
        builder.add_record(record)
    builder.built.problems += ownership_cycles(records, schema)
    return builder.built
