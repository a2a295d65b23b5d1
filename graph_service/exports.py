"""Exports for Gephi, Cytoscape, networkx, R and RDF tools: a registry of writers over a selection of the graph.

Each exporter registers its name, media type and file name; the CLI's --format
choices and the /export/... routes are made from the registry. A selection is
the whole graph, the control graph of one model (exactly the links
`controllers_of` walks), the neighbourhood of an actor, or one relation. Graph
formats (GEXF, GraphML, CSV) have records and countries as nodes and reference
facts as edges; literal facts become typed node attributes. RDF formats carry
the triples themselves: the build file, or the subgraph's records, facts,
statement nodes and sources.
"""
from __future__ import annotations

import csv
import io
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import networkx as nx
import pyoxigraph as ox
from fastapi import APIRouter, Query
from fastapi.responses import Response
from rdflib import XSD

from graph_service import analytics, control
from graph_service.errors import ApiError
from graph_service.projection import Fact, Projection
from graph_service.store import GraphStore
from ingest.problems import suggestion

IDENTITY = {"name", "aliases", "wikidata", "description", "homepage"}
# ColorBrewer Set2 and Dark2: distinct to most eyes; assigned to classes in the ontology's order.
PALETTE = ["#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494", "#b3b3b3", "#1b9e77", "#d95f02"]
COUNTRY = "Country"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"


@dataclass
class Selection:
    """The nodes and reference facts to export; `whole` when it is the entire graph."""

    nodes: list[str]
    facts: list[Fact]
    whole: bool = False


@dataclass(frozen=True)
class Exporter:
    name: str
    media_type: str
    filename: str
    description: str
    write: Callable[[Projection, GraphStore, Selection], bytes]


EXPORTERS: dict[str, Exporter] = {}


def exporter(name: str, media_type: str, filename: str, description: str):
    """Register a writer under a format name."""
    def register(write: Callable[[Projection, GraphStore, Selection], bytes]):
        EXPORTERS[name] = Exporter(name, media_type, filename, description, write)
        return write
    return register


# -- selections

def _reference_facts(p: Projection) -> list[Fact]:
    return [f for facts in p.facts_out.values() for f in facts if f.is_reference]


def _with_endpoints(facts: list[Fact], extra: tuple[str, ...] = ()) -> Selection:
    nodes = dict.fromkeys(extra)
    for f in facts:
        nodes.update(dict.fromkeys((f.subject, str(f.object))))
    return Selection(list(nodes), facts)


def _known(p: Projection, id: str, cls: str | None = None) -> None:
    entity = p.entities.get(id)
    if entity is None or (cls and entity.cls != cls):
        candidates = [e.id for e in p.entities.values() if cls is None or e.cls == cls]
        what = p.schema.classes[cls].label if cls else "record"
        raise ApiError(404, "Not found", f"no {what} with id '{id}'{suggestion(id, candidates) or '.'}")


def select(p: Projection, model: str | None = None, actor: str | None = None, depth: int = 1,
           relation: str | None = None) -> Selection:
    """The part of the graph asked for (all of it when nothing is), checking every id and key."""
    if model and actor:
        raise ApiError(400, "Bad request", "give either model or actor, not both")
    if not 0 <= depth <= 12:
        raise ApiError(400, "Bad request", f"depth must be between 0 and 12, got {depth}")
    if relation is not None:
        keys = sorted({k for c in p.schema.classes.values() for k, s in c.properties.items() if s.is_reference or s.is_country})
        if relation not in keys:
            raise ApiError(400, "Bad request", f"'{relation}' is not a relation"
                                               f"{suggestion(relation, keys) or '; relations are ' + ', '.join(keys)}")
    if model:
        _known(p, model, "Model")
        links = {id(f): f for c in control.controllers_of(p, model) for path in c.paths.values() for f in path.links}
        selection = _with_endpoints(list(links.values()), (model,))
    elif actor:
        _known(p, actor)
        selection = _neighbourhood(p, actor, depth)
    else:
        everything = sorted(p.entities) + sorted({str(f.object) for f in _reference_facts(p) if f.object not in p.entities})
        selection = Selection(everything, _reference_facts(p), whole=relation is None)
    if relation is not None:
        facts = [f for f in selection.facts if f.key == relation]
        selection = _with_endpoints(facts, tuple(filter(None, (model, actor))))
    return selection


def _neighbourhood(p: Projection, start: str, depth: int) -> Selection:
    seen, queue, facts = {start: 0}, deque([start]), {}
    while queue:
        node = queue.popleft()
        if seen[node] == depth:
            continue
        for f in p.facts_out.get(node, []) + p.facts_in.get(node, []):
            if not f.is_reference:
                continue
            facts[id(f)] = f
            for other in (f.subject, str(f.object)):
                if other not in seen:
                    seen[other] = seen[node] + 1
                    queue.append(other)
    return Selection(list(seen), list(facts.values()))


# -- graph formats

def _literal_keys(p: Projection) -> dict[str, Callable[[Any], Any]]:
    """Every literal property of the ontology and the Python type its values are written as."""
    convert = {XSD.integer: int, XSD.decimal: float, XSD.double: float, XSD.boolean: bool}
    return {k: convert.get(s.range, str) for c in p.schema.classes.values() if c.directory != "sources"
            for k, s in sorted(c.properties.items()) if not (s.is_reference or s.is_country) and k not in IDENTITY}


def class_colours(p: Projection) -> dict[str, str]:
    names = [c.name for c in p.schema.classes.values() if c.directory != "sources"] + [COUNTRY]
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def compute_controlled(p: Projection) -> dict[str, float]:
    """H100-equivalents of the clusters each actor owns, directly or through the actors it controls."""
    held: dict[str, float] = {}
    for e in p.entities.values():
        size = p.value(e.id, "h100_equivalents") if e.cls == "ComputeCluster" else None
        if size is None:
            continue
        held[e.id] = float(size)
        owners = {a for f in p.out(e.id, "owned_by") for a in analytics.control_chain(p, f.object)}
        for actor in owners:
            held[actor] = held.get(actor, 0.0) + float(size)
    return held


def _country(p: Projection, node: str) -> str | None:
    cls = p.entities[node].cls
    key = control.COUNTRY_LINKS.get(cls)
    facts = p.out(node, key) if key else []
    return str(facts[0].object) if facts else None


def node_attributes(p: Projection, node: str, keys: dict[str, Callable[[Any], Any]], compute: dict[str, float],
                    metrics: analytics.Centrality) -> dict[str, Any]:
    """Label, class, country, literal facts and the computed measures of one node (no None values)."""
    entity = p.entities.get(node)
    if entity is None:
        from ingest.values import country_name
        attrs: dict[str, Any] = {"label": country_name(node), "class": COUNTRY}
    else:
        attrs = {"label": entity.name, "class": entity.cls, "kind": entity.kind, "country": _country(p, node)}
        for f in p.facts_out.get(node, ()):
            if f.key in keys and f.key not in attrs:
                attrs[f.key] = keys[f.key](f.object)
        chips = [f.qualifiers.get("count") for f in p.out(node, "chips")]
        attrs["chip_count"] = int(sum(c or 0 for c in chips)) if chips else None
    attrs["h100e_controlled"] = compute.get(node, 0.0)
    attrs["betweenness"] = metrics.betweenness.get(node, 0.0)
    attrs["pagerank"] = metrics.pagerank.get(node, 0.0)
    return {k: v for k, v in attrs.items() if v is not None}


def edge_attributes(p: Projection, f: Fact) -> dict[str, Any]:
    """The relation, its weight (the share, chip count or amount where one is given) and its qualifiers."""
    q = f.qualifiers
    weight = next((float(q[k]) for k in ("share", "count", "amount") if q.get(k) is not None), 1.0)
    attrs = {"label": f.key, "relation": f.key, "weight": weight, "evidence": f.source,
             "from": q.get("from"), "until": q.get("until"), "estimate": q.get("estimate")}
    attrs |= {k: float(q[k]) for k in ("share", "count", "amount") if q.get(k) is not None}
    return {k: str(v) if k in ("from", "until") else v for k, v in attrs.items() if v is not None}


def to_networkx(p: Projection, selection: Selection, gexf: bool = False) -> nx.MultiDiGraph:
    """The selection as a networkx graph; with `gexf`, Gephi's viz colours and sizes and time intervals."""
    graph = nx.MultiDiGraph()
    keys, compute, metrics = _literal_keys(p), compute_controlled(p), analytics.centrality(p)
    colours = class_colours(p)
    for node in selection.nodes:
        attrs = node_attributes(p, node, keys, compute, metrics)
        if gexf:
            rgb = colours[attrs["class"]]
            attrs["viz"] = {"color": {"r": int(rgb[1:3], 16), "g": int(rgb[3:5], 16), "b": int(rgb[5:7], 16), "a": 1.0},
                            "size": round(4 + 3 * math.log10(1 + attrs["h100e_controlled"]), 3)}
        graph.add_node(node, **attrs)
    for i, f in enumerate(selection.facts):
        attrs = edge_attributes(p, f)
        if gexf:  # networkx writes start/end as the edge's interval, which Gephi's timeline replays
            attrs |= {"start": attrs.pop("from")} if "from" in attrs else {}
            attrs |= {"end": attrs.pop("until")} if "until" in attrs else {}
        graph.add_edge(f.subject, str(f.object), key=i, id=str(i), **attrs)
    return graph


def _networkx_bytes(write: Callable[[nx.MultiDiGraph, io.BytesIO], None], gexf: bool):
    def export(p: Projection, store: GraphStore, selection: Selection) -> bytes:
        out = io.BytesIO()
        write(to_networkx(p, selection, gexf), out)
        return out.getvalue()
    return export


exporter("gexf", "application/gexf+xml", "graph.gexf", "GEXF 1.2 for Gephi: typed attributes, colours, sizes, time intervals")(
    _networkx_bytes(lambda g, out: nx.write_gexf(g, out), gexf=True))
exporter("graphml", "application/graphml+xml", "graph.graphml", "GraphML for Cytoscape, igraph, networkx")(
    _networkx_bytes(lambda g, out: nx.write_graphml(g, out), gexf=False))


def _csv(rows: list[dict[str, Any]], first: list[str]) -> bytes:
    columns = first + sorted({k for row in rows for k in row} - set(first))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@exporter("nodes-csv", "text/csv", "nodes.csv", "node table (id, label, class, country, attributes, measures)")
def nodes_csv(p: Projection, store: GraphStore, selection: Selection) -> bytes:
    keys, compute, metrics = _literal_keys(p), compute_controlled(p), analytics.centrality(p)
    rows = [{"id": n} | node_attributes(p, n, keys, compute, metrics) for n in selection.nodes]
    return _csv(rows, ["id", "label", "class", "kind", "country"])


@exporter("edges-csv", "text/csv", "edges.csv", "edge table (source, target, relation, weight, interval, evidence)")
def edges_csv(p: Projection, store: GraphStore, selection: Selection) -> bytes:
    rows = [{"source": f.subject, "target": str(f.object)} | edge_attributes(p, f) for f in selection.facts]
    return _csv(rows, ["source", "target", "label", "weight", "from", "until"])


# -- RDF formats

def rdf_triples(p: Projection, store: GraphStore, selection: Selection) -> list[ox.Triple]:
    """The triples of a selection: all of them, or its records' own triples, its facts and their statements and sources."""
    if selection.whole:
        return [q.triple for q in store.store.quads_for_pattern(None, None, None)]
    ns = p.schema.ns
    records = {n: ox.NamedNode(str(ns.id) + n) for n in selection.nodes if n in p.entities}
    wanted = {(f.subject, f.key, str(f.object)) for f in selection.facts}
    key_of = {str(s.iri): k for c in p.schema.classes.values() for k, s in c.properties.items()}
    local = {str(ns.id): "", str(ns.country): ""}

    def short(term: ox.Term) -> str:
        text = term.value
        for prefix in local:
            if text.startswith(prefix):
                return text[len(prefix):]
        return text

    def kept(s: ox.Term, pred: ox.NamedNode, o: ox.Term) -> bool:
        """Literal facts and identity of the selected records, and only the selected reference facts."""
        return not isinstance(o, ox.NamedNode) or pred.value not in key_of or (short(s), key_of[pred.value], short(o)) in wanted

    triples, sources = [], set()
    for node in records.values():
        triples += [q.triple for q in store.store.quads_for_pattern(node, None, None) if kept(*q.triple)]
        for q in store.store.quads_for_pattern(None, ox.NamedNode(RDF_NS + "subject"), node):
            statement = list(store.store.quads_for_pattern(q.subject, None, None))
            parts = {t.predicate.value: t.object for t in statement}
            if kept(node, parts[RDF_NS + "predicate"], parts[RDF_NS + "object"]):
                triples += [t.triple for t in statement]
    for t in triples:
        if t.predicate.value == PROV_DERIVED:
            sources.add(t.object)
    for source in sorted(sources, key=lambda s: s.value):
        triples += [q.triple for q in store.store.quads_for_pattern(source, None, None)]
    return list(dict.fromkeys(triples))


def _rdf(fmt: ox.RdfFormat):
    def export(p: Projection, store: GraphStore, selection: Selection) -> bytes:
        if selection.whole and fmt == ox.RdfFormat.N_TRIPLES:
            return store.path.read_bytes()  # the build file is already sorted N-Triples
        base = p.schema.ns.base
        prefixes = {"cp": base + "ontology#", "id": base + "id/", "source": base + "source/", "st": base + "statement/",
                    "country": base + "country/", "rdf": RDF_NS, "prov": "http://www.w3.org/ns/prov#",
                    "xsd": str(XSD), "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
        return ox.serialize(rdf_triples(p, store, selection), format=fmt,
                            prefixes=prefixes if fmt != ox.RdfFormat.N_TRIPLES else None)
    return export


exporter("ttl", "text/turtle", "graph.ttl", "Turtle")(_rdf(ox.RdfFormat.TURTLE))
exporter("nt", "application/n-triples", "graph.nt", "N-Triples")(_rdf(ox.RdfFormat.N_TRIPLES))
exporter("jsonld", "application/ld+json", "graph.jsonld", "JSON-LD")(_rdf(ox.RdfFormat.JSON_LD))


def export(p: Projection, store: GraphStore, fmt: str, model: str | None = None, actor: str | None = None,
           depth: int = 1, relation: str | None = None) -> bytes:
    """One format of one selection, as bytes."""
    if fmt not in EXPORTERS:
        raise ApiError(400, "Bad request", f"no export format '{fmt}'"
                                           f"{suggestion(fmt, EXPORTERS) or '; formats are ' + ', '.join(EXPORTERS)}")
    return EXPORTERS[fmt].write(p, store, select(p, model, actor, depth, relation))


# -- the control graph of a model as a picture (laid out here: no Graphviz binary is needed)

DIRECT_ROLES = set(control.ROLE_OF_LINK.values()) - {"OWNER", "FUNDER", "EQUIPMENT_SUPPLIER"} | {"BASE_MODEL_DEVELOPER", "DATA_LICENSOR"}
COLUMN_TITLES = ["model", "inputs", "controlling actors", "owners, funders, suppliers", "countries", "governments"]


def _column(p: Projection, node: str, model: str, roles: dict[str, set[str]]) -> int:
    """Left to right: the model, its inputs, the actors with a role over them, their owners, countries, governments."""
    entity = p.entities.get(node)
    if node == model:
        return 0
    if entity is None:
        return 4
    if entity.cls != "Actor":
        return 1
    if roles.get(node, set()) & DIRECT_ROLES:
        return 2
    return 5 if entity.kind == "government" else 3


def control_svg(p: Projection, model: str) -> str:
    """The control graph of a model: layered columns, one arrow per fact labelled with its relation, a legend."""
    from html import escape
    _known(p, model, "Model")
    found = control.controllers_of(p, model)
    roles = {c.actor: set(c.paths) for c in found}
    selection = select(p, model=model)
    columns: dict[int, list[str]] = {}
    for node in selection.nodes:
        columns.setdefault(_column(p, node, model, roles), []).append(node)
    used = sorted(columns)
    position: dict[str, tuple[float, float]] = {}
    width, height, row, box = 300, 600, 46, (190, 30)  # a wide gap between columns leaves room for edge labels
    for x_index, col in enumerate(used):
        # Order a column by where its nodes' neighbours to the left sit: fewer crossing arrows.
        def anchor(node: str) -> float:
            ys = [position[o][1] for f in selection.facts for a, o in ((f.subject, str(f.object)), (str(f.object), f.subject))
                  if a == node and o in position]
            return sum(ys) / len(ys) if ys else 1e9
        ordered = sorted(columns[col], key=lambda n: (anchor(n), _label(p, n)))
        for y_index, node in enumerate(ordered):
            position[node] = (20 + x_index * width, 60 + y_index * row)
    height = max(y for _, y in position.values()) + 140
    total_width = 20 + len(used) * width
    colours = class_colours(p)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width}" height="{height}" viewBox="0 0 {total_width} {height}" '
           'font-family="system-ui,sans-serif" font-size="11">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
           '<path d="M0,0L10,5L0,10z" fill="#555"/></marker></defs>',
           f'<title>Who controls the inputs of {escape(_label(p, model))}</title>']
    for x_index, col in enumerate(used):
        out.append(f'<text x="{20 + x_index * width}" y="30" font-weight="bold">{escape(COLUMN_TITLES[col])}</text>')
    labels = []  # drawn after the boxes, with a white halo, so a box never hides the relation's name
    for f in selection.facts:
        (x1, y1), (x2, y2) = position[f.subject], position[str(f.object)]
        if x1 <= x2:
            sx, sy, tx, ty = x1 + box[0], y1 + box[1] / 2, x2, y2 + box[1] / 2
        else:
            sx, sy, tx, ty = x1, y1 + box[1] / 2, x2 + box[0], y2 + box[1] / 2
        bend = max(40.0, abs(tx - sx) / 2) * (1 if tx >= sx else -1)
        out.append(f'<path d="M{sx},{sy} C{sx + bend},{sy} {tx - bend},{ty} {tx},{ty}" fill="none" stroke="#888" '
                   f'marker-end="url(#arrow)"><title>{escape(f"{f.subject} {f.key} {f.object}")}</title></path>')
        labels.append(f'<text x="{(sx + tx) / 2}" y="{(sy + ty) / 2 - 3}" text-anchor="middle" fill="#444" font-size="9" '
                      f'stroke="white" stroke-width="3" paint-order="stroke">{escape(f.key)}</text>')
    for node, (x, y) in position.items():
        cls = p.entities[node].cls if node in p.entities else COUNTRY
        label = _label(p, node)
        short = label if len(label) <= 28 else label[:27] + "…"
        out.append(f'<g><title>{escape(label)} ({escape(node)})</title><rect x="{x}" y="{y}" width="{box[0]}" height="{box[1]}" '
                   f'rx="6" fill="{colours[cls]}" stroke="#333"/><text x="{x + 8}" y="{y + 19}">{escape(short)}</text></g>')
    out.extend(labels)
    legend_y = height - 50
    for i, (cls, colour) in enumerate(colours.items()):
        x = 20 + i * 120
        out.append(f'<rect x="{x}" y="{legend_y}" width="14" height="14" fill="{colour}" stroke="#333"/>'
                   f'<text x="{x + 20}" y="{legend_y + 11}">{escape(cls)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _label(p: Projection, node: str) -> str:
    entity = p.entities.get(node)
    return entity.name if entity else node


# -- HTTP

def exports_router(projection: Projection, graph: GraphStore) -> APIRouter:
    """GET /export (the formats), /export/<file> for each registered format, and /models/{id}/control-graph.svg."""
    router = APIRouter()

    @router.get("/export")
    def formats() -> dict:
        """The export formats and their URLs."""
        return {"formats": [{"name": e.name, "url": f"/export/{e.filename}", "media_type": e.media_type,
                             "description": e.description} for e in EXPORTERS.values()],
                "parameters": {"model": "the control graph of one model", "actor": "the neighbourhood of an actor",
                               "depth": "how far from the actor (default 1)", "relation": "one relation only, e.g. owned_by"}}

    def route(fmt: Exporter):
        def download(model: str | None = Query(None, description="The control graph of this model."),
                     actor: str | None = Query(None, description="The neighbourhood of this actor."),
                     depth: int = Query(1, description="How many links from the actor."),
                     relation: str | None = Query(None, description="Only this relation, e.g. owned_by.")) -> Response:
            body = export(projection, graph, fmt.name, model, actor, depth, relation)
            return Response(body, media_type=fmt.media_type,
                            headers={"Content-Disposition": f'inline; filename="{fmt.filename}"'})
        download.__doc__ = f"The graph, or a part of it, as {fmt.description}."
        return download

    for fmt in EXPORTERS.values():
        router.add_api_route(f"/export/{fmt.filename}", route(fmt), methods=["GET"], name=f"export_{fmt.name}")

    @router.get("/models/{model}/control-graph.svg")
    def control_graph_svg(model: str) -> Response:
        """The control graph of a model as an SVG picture."""
        return Response(control_svg(projection, model), media_type="image/svg+xml")

    return router
