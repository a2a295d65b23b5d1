"""The data format, read from the ontology.

Nothing here lists classes, keys or types: they come from the annotations in
ontology/chokepoint.ttl (cp:directory, cp:key, schema:domainIncludes,
rdfs:range, cp:qualifier, cp:countryRange, cp:spdxRange). Ingest, validation, GraphQL and
exports all ask this module what exists.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import ClosedNamespace

from ingest.vocab import ONTOLOGY_DIR, SCHEMA, Namespaces, configured_base


@dataclass(frozen=True)
class PropertySpec:
    """One YAML key and the RDF property it becomes."""

    key: str
    iri: URIRef
    range: URIRef
    label: str
    comment: str
    qualifiers: tuple[str, ...] = ()
    is_country: bool = False
    is_spdx: bool = False
    multi_valued: bool = False
    inverse: str | None = None       # local name of the owl:inverseOf property, if declared

    @property
    def is_reference(self) -> bool:
        """The value names another record (its range is a class of records, not a datatype)."""
        return not self.is_country and not self.is_spdx and not str(self.range).startswith(str(XSD))


@dataclass(frozen=True)
class ClassSpec:
    """A class of records: where its files live and which keys it takes."""

    iri: URIRef
    name: str
    label: str
    comment: str
    directory: str | None
    properties: dict[str, PropertySpec] = field(default_factory=dict)


@dataclass(frozen=True)
class Schema:
    """Everything the ontology says about the data format."""

    ns: Namespaces
    ontology: Graph
    classes: dict[str, ClassSpec]          # local name -> spec, for every class of records
    kinds: dict[str, URIRef]               # actor `kind:` value -> class IRI
    qualifiers: dict[str, PropertySpec]    # qualifier key -> spec
    common_qualifiers: tuple[str, ...]     # qualifiers every fact may carry
    cp: ClosedNamespace

    def by_directory(self, directory: str) -> ClassSpec | None:
        return next((c for c in self.classes.values() if c.directory == directory), None)

    def class_of(self, iri: URIRef) -> ClassSpec:
        """The record class an IRI (a class or one of its subclasses) belongs to."""
        for spec in self.classes.values():
            if iri == spec.iri or (iri, RDFS.subClassOf, spec.iri) in self.ontology:
                return spec
        raise KeyError(iri)

    def qualifiers_of(self, prop: PropertySpec) -> tuple[str, ...]:
        return self.common_qualifiers + prop.qualifiers


def _text(g: Graph, s: URIRef, p: URIRef) -> str:
    value = g.value(s, p)
    return str(value) if value is not None else ""


def local_name(iri: URIRef) -> str:
    """The last segment of an IRI: after its # or its last /."""
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _property(g: Graph, iri: URIRef, cp: str) -> PropertySpec:
    quals = sorted(_text(g, q, URIRef(cp + "key")) for q in g.objects(iri, URIRef(cp + "qualifier")))
    return PropertySpec(
        key=_text(g, iri, URIRef(cp + "key")),
        iri=iri,
        range=g.value(iri, RDFS.range),
        label=_text(g, iri, RDFS.label) or _text(g, iri, URIRef(cp + "key")).replace("_", " "),
        comment=_text(g, iri, RDFS.comment),
        qualifiers=tuple(quals),
        is_country=g.value(iri, URIRef(cp + "countryRange")) == Literal(True),
        is_spdx=g.value(iri, URIRef(cp + "spdxRange")) == Literal(True),
        multi_valued=g.value(iri, URIRef(cp + "multiValued")) == Literal(True),
        inverse=local_name(g.value(iri, OWL.inverseOf)) if g.value(iri, OWL.inverseOf) else None,
    )


def load_ontology(ns: Namespaces) -> Graph:
    """The ontology's triples, resolved against the deployment's base IRI."""
    g = Graph()
    g.parse(ONTOLOGY_DIR / "chokepoint.ttl", format="turtle", publicID=ns.base)
    return g


def build_schema(ns: Namespaces) -> Schema:
    g = load_ontology(ns)
    cp = str(ns.cp)
    key, directory, qualifier_cls = URIRef(cp + "key"), URIRef(cp + "directory"), URIRef(cp + "Qualifier")
    entity = URIRef(cp + "Entity")
    classes: dict[str, ClassSpec] = {}
    for cls in sorted(g.subjects(directory, None)):
        props = {}
        for p in g.subjects(SCHEMA.domainIncludes, None):
            domains = set(g.objects(p, SCHEMA.domainIncludes))
            if cls in domains or (entity in domains and (cls, RDFS.subClassOf, entity) in g):
                spec = _property(g, p, cp)
                props[spec.key] = spec
        classes[local_name(cls)] = ClassSpec(cls, local_name(cls), _text(g, cls, RDFS.label), _text(g, cls, RDFS.comment),
                                         _text(g, cls, directory), dict(sorted(props.items())))
    actor = URIRef(cp + "Actor")
    kinds = {_text(g, c, key): c for c in g.subjects(RDFS.subClassOf, actor) if g.value(c, key)}
    for kind_cls in kinds.values():  # governments have keys of their own (jurisdiction, export control)
        for p in g.subjects(SCHEMA.domainIncludes, kind_cls):
            spec = _property(g, p, cp)
            classes["Actor"].properties.setdefault(spec.key, spec)
    quals = {(s := _property(g, q, cp)).key: s for q in g.subjects(RDF.type, qualifier_cls)}
    specific = {_text(g, q, key) for q in g.objects(None, URIRef(cp + "qualifier"))}
    common = tuple(sorted(k for k in quals if k not in specific))
    terms = sorted({local_name(s) for s in g.subjects() if str(s).startswith(cp) and local_name(s)})
    return Schema(ns, g, classes, kinds, quals, common, ClosedNamespace(cp, terms))


@lru_cache(maxsize=4)
def schema_for(base: str) -> Schema:
    return build_schema(Namespaces(base))


def default_schema() -> Schema:
    """The schema under the configured base IRI (loaded once per base)."""
    return schema_for(configured_base())


def government_only_keys(schema: Schema) -> set[str]:
    """Keys whose only domain is cp:Government: other actor kinds may not use them."""
    gov = schema.kinds.get("government")
    return {p.key for p in schema.classes["Actor"].properties.values()
            if set(schema.ontology.objects(p.iri, SCHEMA.domainIncludes)) == {gov}}


