"""SHACL validation of the built graph, its report turned into located problems.

pyshacl reports focus nodes; ingest remembered where each node was written, so
a violation on a statement or a record reads like any other error:
`data/actors/openai.yaml:12: owned_by 'microsoft': share is a fraction ...`.
"""
from __future__ import annotations

from datetime import date

from pyshacl import validate
from rdflib import OWL, RDF, RDFS, SH, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from ingest.build import Origin
from ingest.problems import Problem
from ingest.schema import Schema, local_name
from ingest.vocab import ONTOLOGY_DIR


def load_shapes(schema: Schema) -> Graph:
    """ontology/shapes.ttl, plus the shapes that follow from the ontology's ranges and from the date."""
    shapes = Graph()
    shapes.parse(ONTOLOGY_DIR / "shapes.ttl", format="turtle", publicID=schema.ns.base)
    _add_range_shapes(shapes, schema)
    _add_release_shape(shapes, schema, date.today())
    return shapes


# Both are SHACL core, not SPARQL constraints: pyshacl parses a SPARQL constraint again for every focus
# node, which made these two checks most of a build's time.
def _add_range_shapes(shapes: Graph, schema: Schema) -> None:
    """Every reference points to a record of the class the ontology's rdfs:range names."""
    node = BNode()
    shapes.add((node, RDF.type, SH.NodeShape))
    shapes.add((node, SH.targetClass, schema.cp.Entity))
    for prop, range_ in sorted(schema.ontology.subject_objects(RDFS.range)):
        if (range_, RDF.type, OWL.Class) not in schema.ontology:
            continue
        shape = BNode()
        message = (f"{local_name(prop)} points to {{$value}}, which is not a {local_name(range_)} "
                   "as the ontology requires")
        for triple in [(node, SH.property, shape), (shape, SH.path, prop), (shape, SH["class"], range_),
                       (shape, SH.message, Literal(message))]:
            shapes.add(triple)


def _add_release_shape(shapes: Graph, schema: Schema, today: date) -> None:
    """A released thing is not dated after today (months and years, which do not compare with a day, pass)."""
    node, shape, is_day, past = BNode(), BNode(), BNode(), BNode()
    either = Collection(shapes, BNode(), [past, BNode()])
    not_a_day = either[1]
    for triple in [(node, RDF.type, SH.NodeShape), (node, SH.targetSubjectsOf, schema.cp.released),
                   (node, SH.property, shape), (shape, SH.path, schema.cp.released), (shape, SH["or"], either.uri),
                   (past, SH.datatype, XSD.date), (past, SH.maxInclusive, Literal(today, datatype=XSD.date)),
                   (not_a_day, SH["not"], is_day), (is_day, SH.datatype, XSD.date),
                   (shape, SH.message, Literal("released {$value} is in the future; a record of a released thing "
                                               "cannot be dated after today"))]:
        shapes.add(triple)


def _key_of(schema: Schema, predicate: Node) -> str:
    keys = {p.iri: p.key for c in schema.classes.values() for p in c.properties.values()}
    keys.update({q.iri: q.key for q in schema.qualifiers.values()})
    return keys.get(predicate, str(predicate))


def _describe(schema: Schema, graph: Graph, focus: Node) -> str:
    """How the user wrote the focus node: `owned_by 'microsoft'` for a statement, '' for a record."""
    if (focus, RDF.type, schema.cp.Statement) not in graph:
        return ""
    obj = graph.value(focus, RDF.object)
    shown = str(obj).rsplit("/", 1)[-1] if isinstance(obj, URIRef) else str(obj)
    return f"{_key_of(schema, graph.value(focus, RDF.predicate))} '{shown}': "


def _shown(schema: Schema, node: Node) -> str:
    text = str(node)
    for prefix in (str(schema.ns.id), str(schema.ns.cp)):
        text = text.replace(prefix, "")
    return text


def _consequence(report: Graph, result: Node, graph: Graph, faulty: set[Node]) -> bool:
    """A value missing only because ingest already rejected it (and said so) is not news."""
    if report.value(result, SH.sourceConstraintComponent) != SH.MinCountConstraintComponent:
        return False
    focus = report.value(result, SH.focusNode)
    return focus in faulty or graph.value(focus, RDF.subject) in faulty


def _where(report: Graph, result: Node, graph: Graph, origins: dict[Node, Origin]) -> Origin:
    """The line of the offending value when a statement states it, else the line of the focus node."""
    focus, path, value = (report.value(result, p) for p in (SH.focusNode, SH.resultPath, SH.value))
    if path is not None and value is not None:
        for statement in graph.subjects(RDF.subject, focus):
            if (statement, RDF.predicate, path) in graph and (statement, RDF.object, value) in graph:
                return origins[statement]
    return origins.get(focus, ("<graph>", 0))


def shacl_problems(graph: Graph, origins: dict[Node, Origin], schema: Schema, faulty: set[Node] = frozenset()) -> list[Problem]:
    """Every SHACL violation of the graph (data plus ontology), located."""
    conforms, report, _ = validate(graph, shacl_graph=load_shapes(schema), ont_graph=schema.ontology,
                                   inference="none", allow_warnings=True)
    if conforms:
        return []
    problems = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if _consequence(report, result, graph, faulty):
            continue
        focus = report.value(result, SH.focusNode)
        file, line = _where(report, result, graph, origins)
        value = report.value(result, SH.value)
        shown = _shown(schema, value) if value is not None else ""
        # {$value} in a core shape's message, as SHACL's SPARQL constraints write it
        message = _shown(schema, report.value(result, SH.resultMessage) or "violates a shape").replace("{$value}", shown)
        got = f" (got {shown})" if shown and shown not in message else ""
        problems.append(Problem(file, line, f"{_describe(schema, graph, focus)}{message}{got}"))
    return problems
