"""The SPARQL 1.1 endpoint for researchers, read-only and safe by default.

/sparql follows the SPARQL 1.1 Protocol: GET with `query=`, POST with a form
body, POST with `application/sparql-query`, `default-graph-uri` and
`named-graph-uri`. Results by content negotiation or `format=`. A GET without a
query returns the service description (Turtle), or a query page for a browser.

Refused before anything runs: updates (403), SERVICE (the server would fetch
from elsewhere), and FROM / graph parameters naming any graph but the service's
own. Every query has a deadline and a row cap; a capped answer says so in the
`Chokepoint-Truncated` header (and in JSON results).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from html import escape
from typing import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from graph_service.errors import ApiError
from graph_service.sparql_engine import (UPDATE_WORDS, Dataset, QuerySyntaxError, QueryTimeout, Result, keywords_in,
                                         without_strings_and_comments)
from graph_service.sparql_results import GRAPH_FORMATS, SOLUTION_FORMATS, Format, NotAcceptable, negotiate, serialize

Engine = Callable[[str, float, int, Dataset, dict[str, str | None]], Awaitable[Result]]


@dataclass(frozen=True)
class SparqlSettings:
    """Limits of the endpoint; from CHOKEPOINT_QUERY_TIMEOUT (seconds) and CHOKEPOINT_MAX_ROWS."""

    graph_iri: str
    timeout: float = 5.0
    max_rows: int = 10_000

    @classmethod
    def from_env(cls, graph_iri: str) -> "SparqlSettings":
        return cls(graph_iri, float(os.environ.get("CHOKEPOINT_QUERY_TIMEOUT", 5)),
                   int(os.environ.get("CHOKEPOINT_MAX_ROWS", 10_000)))


def _expand(name: str, query: str) -> str:
    if name.startswith("<"):
        return name[1:-1]
    prefix, _, local = name.partition(":")
    declared = dict(re.findall(r"PREFIX\s+([\w.-]*):\s*<([^>]*)>", query, flags=re.I))
    return declared.get(prefix, prefix + ":") + local


def check_safe(query: str, dataset: Dataset, graph_iri: str) -> None:
    """Refuse what a read-only endpoint that never fetches must not run."""
    words = keywords_in(query, UPDATE_WORDS | {"SERVICE", "FROM"})
    if words & UPDATE_WORDS:
        raise ApiError(403, "Read-only endpoint", "this endpoint is read-only: SPARQL Update "
                       f"({', '.join(sorted(words & UPDATE_WORDS))}) is refused")
    if "SERVICE" in words:
        raise ApiError(400, "SERVICE refused", "SERVICE is refused: this endpoint never fetches data from other servers")
    named = _from_graphs(query) if "FROM" in words else []
    for graph in named + dataset.default + dataset.named:
        if graph != graph_iri:
            raise ApiError(400, "Unknown graph", f"<{graph}> is not a graph of this endpoint, and it fetches none; "
                           f"its one graph is <{graph_iri}> (the default graph)")


def _from_graphs(query: str) -> list[str]:
    """The graphs named by FROM and FROM NAMED, as IRIs."""
    bare = without_strings_and_comments(query)
    return [_expand(n, bare) for n in re.findall(r"\bFROM\s*(?:NAMED\s*)?(<[^>]*>|[\w.-]*:[\w.-]*)", bare, flags=re.I)]


async def answer(engine: Engine, settings: SparqlSettings, query: str, dataset: Dataset, request: Request,
                 requested: str | None = None) -> Response:
    """The query's answer in the format the client asked for (`requested`, from `format=`, or Accept), with
    truncation reported. The engine is told that format, so the embedded one can have Oxigraph write it."""
    negotiated = negotiate(request.headers.get("accept", ""), requested)
    result = await evaluate(engine, settings, query, dataset, negotiated.names())
    try:
        fmt = negotiated.format_for(result)
    except NotAcceptable as error:
        raise ApiError(406, "Not acceptable", str(error)) from None
    return _response(result, fmt, settings)


async def evaluate(engine: Engine, settings: SparqlSettings, query: str, dataset: Dataset,
                   formats: dict[str, str | None]) -> Result:
    """The query's result, once it is known safe, within the endpoint's deadline and row cap; an ApiError
    saying what went wrong otherwise. `formats`: what the client will get, for the engine to write it."""
    check_safe(query, dataset, settings.graph_iri)
    try:
        return await engine(query, settings.timeout, settings.max_rows, dataset, formats)
    except QuerySyntaxError as error:
        raise ApiError(400, "Malformed query", f"the query does not parse: {error}") from None
    except QueryTimeout as error:
        raise ApiError(503, "Query timeout", f"{error}; narrow the query (add LIMIT, bind a variable) or ask the "
                       "service's operator to raise CHOKEPOINT_QUERY_TIMEOUT") from None
    except ValueError as error:
        raise ApiError(400, "Query failed", str(error)) from None


def _response(result: Result, fmt: Format, settings: SparqlSettings) -> Response:
    body = serialize(result, fmt)
    headers = {}
    if getattr(result, "truncated", False):
        headers["Chokepoint-Truncated"] = f"true; max-rows={settings.max_rows}"
        if fmt.name == "json":
            data = json.loads(body)
            data["chokepoint"] = {"truncated": True, "max_rows": settings.max_rows}
            body = json.dumps(data, ensure_ascii=False).encode()
    media_type = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
    return Response(body, media_type=media_type, headers=headers)


def _dataset(pairs: list[tuple[str, str]]) -> Dataset:
    return Dataset([v for k, v in pairs if k == "default-graph-uri"], [v for k, v in pairs if k == "named-graph-uri"])


def sparql_routes(engine: Engine, settings: SparqlSettings, description: Callable[[], str],
                  page: Callable[[], str]) -> list[Route]:
    """GET and POST /sparql, answering from `engine` (embedded or external).

    Plain Starlette routes, put first in the app's table: FastAPI's dependency solving and its walk through the
    included routers are a noticeable part of a quick query's time, and the protocol has no parameters for them
    to check. Errors still go through the app's handlers."""

    async def get(request: Request) -> Response:
        pairs = request.query_params.multi_items()
        params = dict(pairs)
        if "update" in params:
            raise ApiError(403, "Read-only endpoint", "this endpoint is read-only: SPARQL Update is refused")
        if "query" not in params:
            if "text/html" in request.headers.get("accept", ""):
                return HTMLResponse(page())
            return Response(description(), media_type="text/turtle; charset=utf-8")
        return await answer(engine, settings, params["query"], _dataset(pairs), request, params.get("format"))

    async def post(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        url_pairs = request.query_params.multi_items()
        if content_type == "application/sparql-update":
            raise ApiError(403, "Read-only endpoint", "this endpoint is read-only: SPARQL Update is refused")
        if content_type == "application/sparql-query":
            return await answer(engine, settings, (await request.body()).decode("utf-8"), _dataset(url_pairs), request,
                                request.query_params.get("format"))
        if content_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
            form = dict(pairs)
            if "update" in form:
                raise ApiError(403, "Read-only endpoint", "this endpoint is read-only: SPARQL Update is refused")
            if "query" not in form:
                raise ApiError(400, "Missing query", "the form has no 'query' field")
            return await answer(engine, settings, form["query"], _dataset(url_pairs + pairs), request,
                                form.get("format") or request.query_params.get("format"))
        raise ApiError(415, "Unsupported media type", "POST a query as application/sparql-query, or as a form "
                       f"(application/x-www-form-urlencoded) with a 'query' field; got '{content_type or 'none'}'")

    return [Route("/sparql", get, methods=["GET"]), Route("/sparql", post, methods=["POST"])]


def service_description(endpoint: str, graph_iri: str, triples: int) -> str:
    """SPARQL 1.1 Service Description of this endpoint, in Turtle."""
    formats = " , ".join(f"<{_FORMAT_IRIS[f.name]}>" for f in SOLUTION_FORMATS + GRAPH_FORMATS if f.name in _FORMAT_IRIS)
    return f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .

<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:resultFormat {formats} ;
    sd:defaultDataset [
        a sd:Dataset ;
        sd:defaultGraph [ a sd:Graph, void:Dataset ; sd:name <{graph_iri}> ; void:triples {triples} ]
    ] .
"""


_FORMAT_IRIS = {"json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
                "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
                "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
                "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
                "turtle": "http://www.w3.org/ns/formats/Turtle", "ntriples": "http://www.w3.org/ns/formats/N-Triples",
                "rdfxml": "http://www.w3.org/ns/formats/RDF_XML", "jsonld": "http://www.w3.org/ns/formats/JSON-LD"}


def query_page(prefixes: dict[str, str], examples: list[tuple[str, str, str]]) -> str:
    """A query page that works with no internet access: a form, the prefixes, the named queries as examples."""
    prefix_text = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items())
    options = "".join(f'<option value="{escape(name)}">{escape(title)}</option>' for name, title, _ in examples)
    texts = json.dumps({name: text for name, _, text in examples})
    default = escape(prefix_text + "\nSELECT ?model ?name WHERE {\n  ?model a cp:Model ; rdfs:label ?name .\n} ORDER BY ?name LIMIT 20\n")
    formats = "".join(f'<option value="{f.name}">{f.name}</option>' for f in SOLUTION_FORMATS + GRAPH_FORMATS)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chokepoint SPARQL</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:1.5rem auto;padding:0 1rem}}
textarea{{width:100%;height:20rem;font:13px/1.4 ui-monospace,monospace}}table{{border-collapse:collapse;margin-top:1rem}}
td,th{{border:1px solid #ccc;padding:.2rem .5rem;font-size:13px;text-align:left;vertical-align:top}}#status{{color:#555}}</style>
</head><body><h1>SPARQL</h1>
<p>Query the Chokepoint graph (read-only). Results are JSON, XML, CSV or TSV for SELECT/ASK and Turtle, N-Triples,
RDF/XML or JSON-LD for CONSTRUCT/DESCRIBE. Named research questions: <a href="/queries">/queries</a>.</p>
<form id="form" method="get" action="/sparql">
<p><label>Example: <select id="examples"><option value="">choose a research question…</option>{options}</select></label></p>
<textarea name="query" id="query">{default}</textarea>
<p><button type="submit">Run</button> <label>download as <select name="format">{formats}</select></label>
<button type="submit" name="download" value="1">Download</button> <span id="status"></span></p></form>
<div id="results"></div>
<script>
const examples = {texts};
document.getElementById("examples").onchange = e => {{ if (examples[e.target.value]) document.getElementById("query").value = examples[e.target.value]; }};
document.getElementById("form").onsubmit = async e => {{
  if (e.submitter && e.submitter.name === "download") return;
  e.preventDefault();
  const status = document.getElementById("status"), out = document.getElementById("results");
  status.textContent = "running…"; out.textContent = "";
  const started = performance.now();
  const r = await fetch("/sparql", {{method: "POST", headers: {{"Content-Type": "application/sparql-query",
    "Accept": "application/sparql-results+json, text/turtle;q=0.9"}}, body: document.getElementById("query").value}});
  const ms = Math.round(performance.now() - started);
  const type = r.headers.get("content-type") || "";
  if (!r.ok) {{ const err = await r.json(); status.textContent = err.title + ": " + err.error; return; }}
  if (!type.includes("json")) {{ const pre = document.createElement("pre"); pre.textContent = await r.text(); out.append(pre); status.textContent = ms + " ms"; return; }}
  const data = await r.json();
  if ("boolean" in data) {{ status.textContent = "ASK: " + data.boolean + " (" + ms + " ms)"; return; }}
  const table = document.createElement("table"), head = table.insertRow();
  for (const v of data.head.vars) {{ const th = document.createElement("th"); th.textContent = v; head.append(th); }}
  for (const b of data.results.bindings) {{ const row = table.insertRow();
    for (const v of data.head.vars) {{ row.insertCell().textContent = b[v] ? b[v].value : ""; }} }}
  out.append(table);
  status.textContent = data.results.bindings.length + " rows, " + ms + " ms" + (data.chokepoint ? " (truncated at " + data.chokepoint.max_rows + ")" : "");
}};
</script></body></html>"""
