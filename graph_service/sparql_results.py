"""SPARQL results in the formats researchers' tools read.

SELECT and ASK: SPARQL 1.1 Query Results JSON, XML, CSV and TSV. CONSTRUCT and
DESCRIBE: Turtle, N-Triples, RDF/XML and JSON-LD (serialised by Oxigraph).
Formats are chosen by content negotiation, or by `format=` for browsers.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from graph_service.sparql_engine import (NATIVE_GRAPH_FORMATS, Boolean, Result, Serialized, Solutions, Term, Triples,
                                         from_term)


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str


SOLUTION_FORMATS = [Format("json", "application/sparql-results+json"), Format("xml", "application/sparql-results+xml"),
                    Format("csv", "text/csv"), Format("tsv", "text/tab-separated-values")]
GRAPH_FORMATS = [Format("turtle", "text/turtle"), Format("ntriples", "application/n-triples"),
                 Format("rdfxml", "application/rdf+xml"), Format("jsonld", "application/ld+json")]
_ALIASES = {"application/json": "json", "text/plain": "ntriples", "application/xml": "xml", "text/xml": "xml",
            "nt": "ntriples", "ttl": "turtle", "rdf": "rdfxml", "json-ld": "jsonld"}


class NotAcceptable(ValueError):
    """No format this result can take was asked for."""


def kind_of(result: Result) -> str:
    """"graph" for CONSTRUCT and DESCRIBE results, "solutions" for SELECT and ASK."""
    if isinstance(result, Serialized):
        return "graph" if result.format in NATIVE_GRAPH_FORMATS else "solutions"
    return "graph" if isinstance(result, Triples) else "solutions"


@dataclass(frozen=True)
class Negotiated:
    """The format each kind of result would take for one Accept header and `format=`, or why it cannot be given."""

    formats: dict[str, Format]
    refusals: dict[str, str]

    def names(self) -> dict[str, str]:
        return {kind: f.name for kind, f in self.formats.items()}

    def format_for(self, result: Result) -> Format:
        kind = kind_of(result)
        if kind not in self.formats:
            raise NotAcceptable(self.refusals[kind])
        return self.formats[kind]


@lru_cache(maxsize=1024)  # a client sends the same Accept header with every query
def negotiate(accept: str, requested: str | None) -> Negotiated:
    """`format=` first, then the Accept header's preference, then the default; for both kinds of result."""
    formats, refusals = {}, {}
    for kind, candidates in (("solutions", SOLUTION_FORMATS), ("graph", GRAPH_FORMATS)):
        try:
            formats[kind] = _choose(candidates, accept, requested)
        except NotAcceptable as error:
            refusals[kind] = str(error)
    return Negotiated(formats, refusals)


def _choose(formats: list[Format], accept: str, requested: str | None) -> Format:
    by_key = {f.name: f for f in formats} | {f.media_type: f for f in formats}
    if requested:
        key = _ALIASES.get(requested, requested)
        if key in by_key:
            return by_key[key]
        raise NotAcceptable(f"format '{requested}' is not one of {', '.join(f.name for f in formats)} for this query")
    for media_type in by_preference(accept):
        key = _ALIASES.get(media_type, media_type)
        if key in by_key:
            return by_key[key]
        if media_type in ("*/*", "application/*", "text/*") or not media_type:
            return formats[0]
    if not accept.strip():
        return formats[0]
    raise NotAcceptable(f"none of the types in Accept ({accept}) can carry this result; "
                        f"use one of {', '.join(f.media_type for f in formats)}")


def by_preference(accept: str) -> list[str]:
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media_type, *params = [p.strip() for p in part.split(";")]
        q = next((float(p[2:]) for p in params if p.startswith("q=")), 1.0)
        ranked.append((-q, position, media_type.lower()))
    return [m for _, _, m in sorted(ranked) if m]


def serialize(result: Result, fmt: Format) -> bytes:
    if isinstance(result, Serialized):
        return result.body
    if isinstance(result, Triples):
        triples = [ox.Triple(from_term(s), from_term(p), from_term(o)) for s, p, o in result.triples]
        return ox.serialize(triples, format=NATIVE_GRAPH_FORMATS[fmt.name]) or b""
    return {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}[fmt.name](result)


def _json_term(term: Term) -> dict:
    kind, value = term[0], term[1]
    if kind != "literal":
        return {"type": kind, "value": value}
    out = {"type": "literal", "value": value}
    if term[3]:
        out["xml:lang"] = term[3]
    elif term[2]:
        out["datatype"] = term[2]
    return out


def _json(result: Solutions | Boolean) -> bytes:
    if isinstance(result, Boolean):
        return json.dumps({"head": {}, "boolean": result.value}).encode()
    body = {"head": {"vars": result.variables},
            "results": {"bindings": [{n: _json_term(t) for n, t in row.items()} for row in result.rows]}}
    return json.dumps(body, ensure_ascii=False).encode()


def _xml_term(term: Term) -> str:
    if term[0] == "literal":
        attrs = f" xml:lang={quoteattr(term[3])}" if term[3] else (f" datatype={quoteattr(term[2])}" if term[2] else "")
        return f"<literal{attrs}>{escape(term[1])}</literal>"
    return f"<{term[0]}>{escape(term[1])}</{term[0]}>"


def _xml(result: Solutions | Boolean) -> bytes:
    head = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
    if isinstance(result, Boolean):
        return (head + f"<head/><boolean>{str(result.value).lower()}</boolean></sparql>\n").encode()
    variables = "".join(f"<variable name={quoteattr(v)}/>" for v in result.variables)
    rows = "".join("<result>" + "".join(f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>" for n, t in row.items())
                   + "</result>\n" for row in result.rows)
    return (head + f"<head>{variables}</head>\n<results>\n{rows}</results>\n</sparql>\n").encode()


def _csv(result: Solutions | Boolean) -> bytes:
    if isinstance(result, Boolean):  # no W3C format for ASK in CSV/TSV: the bare word, as Oxigraph writes it
        return b"true" if result.value else b"false"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([("_:" + row[v][1]) if v in row and row[v][0] == "bnode" else (row[v][1] if v in row else "")
                         for v in result.variables])
    return out.getvalue().encode()


def _tsv_term(term: Term) -> str:
    kind, value = term[0], term[1]
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    text = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"'
    return text + (f"@{term[3]}" if term[3] else (f"^^<{term[2]}>" if term[2] else ""))


def _tsv(result: Solutions | Boolean) -> bytes:
    if isinstance(result, Boolean):
        return b"true" if result.value else b"false"
    lines = ["\t".join("?" + v for v in result.variables)]
    lines += ["\t".join(_tsv_term(row[v]) if v in row else "" for v in result.variables) for row in result.rows]
    return ("\n".join(lines) + "\n").encode()
