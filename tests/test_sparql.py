"""The SPARQL endpoint through HTTP: the protocol, every result format parsed back, safety, limits."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import socket
import threading
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.query import Result

from graph_service.app import create_app
from graph_service.named_queries import named_queries
from graph_service.store import GraphStore

CP = "https://example.org/chokepoint/ontology#"
GRAPH = "https://example.org/chokepoint/graph"
MODELS = f"PREFIX cp: <{CP}> SELECT ?m WHERE {{ ?m a cp:Model }} ORDER BY ?m"
EXPECTED_MODELS = ["https://example.org/chokepoint/id/model-a", "https://example.org/chokepoint/id/model-b"]
CONSTRUCT = f"PREFIX cp: <{CP}> CONSTRUCT {{ ?m cp:developedBy ?d }} WHERE {{ ?m cp:developedBy ?d }}"


def column(body: bytes, fmt: str, var: str = "m") -> list[str]:
    """Parse a results document back with rdflib's parsers and take one column."""
    result = Result.parse(io.BytesIO(body), format=fmt)
    return sorted(str(row[var]) for row in result)


@pytest.mark.parametrize("fmt,accept", [("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
                                        ("csv", "text/csv"), ("tsv", "text/tab-separated-values")])
def test_select_in_every_format_by_content_negotiation(client, fmt: str, accept: str) -> None:
    response = client.get("/sparql", params={"query": MODELS}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    assert column(response.content, fmt) == EXPECTED_MODELS


def test_format_parameter_for_browsers(client) -> None:
    response = client.get("/sparql", params={"query": MODELS, "format": "csv"}, headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0] == "m"


def test_format_field_of_a_form_post(client) -> None:
    """An HTML form with method=post sends `format` in the body, beside the query."""
    response = client.post("/sparql", data={"query": MODELS, "format": "tsv"}, headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("text/tab-separated-values")
    assert response.text.splitlines()[0] == "?m"


@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_every_protocol_method(client, method: str) -> None:
    if method == "get":
        response = client.get("/sparql", params={"query": MODELS})
    elif method == "form":
        response = client.post("/sparql", data={"query": MODELS})
    else:
        response = client.post("/sparql", content=MODELS, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200
    assert column(response.content, "json") == EXPECTED_MODELS


@pytest.mark.parametrize("fmt,accept,parser", [("turtle", "text/turtle", "turtle"), ("ntriples", "application/n-triples", "nt"),
                                               ("rdfxml", "application/rdf+xml", "xml"), ("jsonld", "application/ld+json", "json-ld")])
def test_construct_in_every_rdf_format(client, fmt: str, accept: str, parser: str) -> None:
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
    graph = rdflib.Graph().parse(data=response.content, format=parser)
    assert len(graph) == 2
    assert (rdflib.URIRef(EXPECTED_MODELS[0]), rdflib.URIRef(CP + "developedBy"),
            rdflib.URIRef("https://example.org/chokepoint/id/labco")) in graph


def test_describe(client) -> None:
    response = client.get("/sparql", params={"query": "DESCRIBE <https://example.org/chokepoint/id/labco>"},
                          headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    assert (rdflib.URIRef("https://example.org/chokepoint/id/labco"), rdflib.RDFS.label, rdflib.Literal("LabCo")) in graph


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask(client, fmt: str) -> None:
    response = client.get("/sparql", params={"query": f"ASK {{ ?m a <{CP}Model> }}", "format": fmt})
    assert Result.parse(io.BytesIO(response.content), format=fmt).askAnswer is True


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_ask_in_csv_and_tsv_is_the_bare_word_as_oxigraph_writes_it(client, fmt: str) -> None:
    assert client.get("/sparql", params={"query": "ASK { ?x ?y ?z }", "format": fmt}).text == "true"


def test_unacceptable_format(client) -> None:
    response = client.get("/sparql", params={"query": CONSTRUCT, "format": "csv"})
    assert response.status_code == 406
    assert response.json()["error"] == "format 'csv' is not one of turtle, ntriples, rdfxml, jsonld for this query"


def test_dataset_parameters_accept_the_service_graph(client) -> None:
    response = client.get("/sparql", params={"query": MODELS, "default-graph-uri": GRAPH})
    assert column(response.content, "json") == EXPECTED_MODELS
    response = client.get("/sparql", params={"query": MODELS.replace("SELECT ?m", f"SELECT ?m FROM <{GRAPH}>")})
    assert column(response.content, "json") == EXPECTED_MODELS


def test_service_description_and_query_page(client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    description = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, sd.endpoint, rdflib.URIRef("https://example.org/chokepoint/sparql")) in description
    page = client.get("/sparql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<textarea" in page.text and "Who controls the inputs to a model" in page.text
    assert "<script src=" not in page.text and "<link" not in page.text  # nothing to fetch from elsewhere: works offline


def test_malformed_query_gives_the_position(client) -> None:
    response = client.get("/sparql", params={"query": "SELEC ?x WHERE { ?x ?y ?z }"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("the query does not parse: error at 1:")


@pytest.mark.parametrize("send", [
    lambda c: c.get("/sparql", params={"update": "INSERT DATA { <a:a> <a:a> <a:a> }"}),
    lambda c: c.post("/sparql", data={"update": "INSERT DATA { <a:a> <a:a> <a:a> }"}),
    lambda c: c.post("/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"}),
    lambda c: c.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"}),
    lambda c: c.post("/sparql", content="LOAD <http://127.0.0.1:9/x.ttl>", headers={"Content-Type": "application/sparql-query"}),
])
def test_updates_are_refused(client, send) -> None:
    response = send(client)
    assert response.status_code == 403
    assert response.json()["title"] == "Read-only endpoint"
    assert column(client.get("/sparql", params={"query": MODELS}).content, "json") == EXPECTED_MODELS


def test_the_refused_words_are_only_refused_as_keywords(client) -> None:
    """A variable, a prefixed name, a string or a comment may say insert, load, service or from."""
    query = """PREFIX load: <https://example.org/from#>
# DROP, SERVICE and FROM <http://127.0.0.1:9/> are words in a comment here
SELECT ?insert ?m WHERE { ?m a ?insert . FILTER(?insert != load:Service && ?insert != "DELETE FROM <x:y>") }"""
    response = client.get("/sparql", params={"query": query, "format": "csv"})
    assert response.status_code == 200, response.text


class Listener:
    """A TCP listener on loopback that records every connection it gets."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port, self.connections, self.running = self.sock.getsockname()[1], 0, True
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


def test_no_query_makes_the_server_fetch_anything(client) -> None:
    listener = Listener()
    url = f"http://127.0.0.1:{listener.port}/data.ttl"
    try:
        attempts = [
            f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            f"PREFIX x: <http://127.0.0.1:{listener.port}/> SELECT * FROM x:data.ttl WHERE {{ ?s ?p ?o }}",
            f"SELECT*FROM<{url}>WHERE{{?s ?p ?o}}",
            f"SELECT*FROM NAMED<{url}>WHERE{{GRAPH ?g{{?s ?p ?o}}}}",
            f"select * where {{ service<{url}>{{ ?s ?p ?o }} }}",
            f'SELECT ("a\\"b" AS ?x) FROM <{url}> WHERE {{ ?s ?p "c" }}',  # an escaped quote ends no string
            f"LOAD <{url}>",
        ]
        statuses = [client.get("/sparql", params={"query": q}).status_code for q in attempts]
        statuses.append(client.get("/sparql", params={"query": MODELS, "default-graph-uri": url}).status_code)
        statuses.append(client.get("/sparql", params={"query": MODELS, "named-graph-uri": url}).status_code)
    finally:
        listener.close()
    assert statuses == [400] * 9 + [403, 400, 400]
    assert listener.connections == 0


@pytest.fixture(scope="module")
def strict_client(fixture_build: Path) -> TestClient:
    """A service with a 1 s deadline and a 3-row cap."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CHOKEPOINT_QUERY_TIMEOUT", "1")
    patch.setenv("CHOKEPOINT_MAX_ROWS", "3")
    try:
        yield TestClient(create_app(GraphStore.from_build(fixture_build)))
    finally:
        patch.undo()


def test_timeout_stops_the_query_and_the_server_keeps_answering(strict_client) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    response = strict_client.get("/sparql", params={"query": slow})
    assert response.status_code == 503
    assert response.json()["error"].startswith("the query ran past the 1 s limit and was stopped")
    response = strict_client.get("/sparql", params={"query": MODELS})
    assert response.status_code == 200 and column(response.content, "json") == EXPECTED_MODELS


def test_row_cap_is_reported(strict_client) -> None:
    response = strict_client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o }"})
    assert response.headers["chokepoint-truncated"] == "true; max-rows=3"
    body = response.json()
    assert len(body["results"]["bindings"]) == 3 and body["chokepoint"] == {"truncated": True, "max_rows": 3}
    response = strict_client.get("/sparql", params={"query": MODELS})
    assert "chokepoint-truncated" not in response.headers


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_row_cap_in_every_format(strict_client, fmt: str) -> None:
    subjects = "SELECT DISTINCT ?s WHERE { ?s ?p ?o } ORDER BY ?s"
    response = strict_client.get("/sparql", params={"query": subjects, "format": fmt})
    assert response.headers["chokepoint-truncated"] == "true; max-rows=3"
    assert len(column(response.content, fmt, "s")) == 3
    three = "SELECT ?s WHERE { VALUES ?s { <urn:a> <urn:b> <urn:c> } }"  # exactly at the cap: complete, not truncated
    response = strict_client.get("/sparql", params={"query": three, "format": fmt})
    assert "chokepoint-truncated" not in response.headers
    assert column(response.content, fmt, "s") == ["urn:a", "urn:b", "urn:c"]


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_row_cap_counts_rows_not_look_alikes(strict_client, fmt: str) -> None:
    """Rows are counted on the written answer: literals that look like row markers, line breaks inside literals
    and rows with nothing bound must neither hide a truncation nor invent one."""
    look_alikes = 'SELECT ?s WHERE { VALUES ?s { "{\\"type\\":{}}" "a\\nb\\nc" "<result>{}" } }'
    response = strict_client.get("/sparql", params={"query": look_alikes, "format": fmt})
    assert "chokepoint-truncated" not in response.headers
    assert column(response.content, fmt, "s") == sorted(['{"type":{}}', "a\nb\nc", "<result>{}"])
    unbound = "SELECT ?nothing WHERE { VALUES ?s { 1 2 3 4 } }"
    response = strict_client.get("/sparql", params={"query": unbound, "format": fmt})
    assert response.headers["chokepoint-truncated"] == "true; max-rows=3"
    lines = response.content.splitlines()  # rdflib's TSV parser skips empty rows, so those formats are read as lines
    assert (len(lines) - 1 if fmt in ("csv", "tsv") else len(Result.parse(io.BytesIO(response.content), format=fmt))) == 3


@pytest.mark.parametrize("fmt,parser", [("turtle", "turtle"), ("ntriples", "nt"), ("rdfxml", "xml"), ("jsonld", "json-ld")])
def test_row_cap_on_graphs(strict_client, fmt: str, parser: str) -> None:
    response = strict_client.get("/sparql", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "format": fmt})
    assert response.headers["chokepoint-truncated"] == "true; max-rows=3"
    assert len(rdflib.Graph().parse(data=response.content, format=parser)) == 3


def test_errors_have_one_shape(client) -> None:
    responses = [client.get("/sparql", params={"query": "nonsense"}), client.get("/queries/nope"),
                 client.get("/queries/controllers-of-model", params={"nope": "1"}), client.get("/no-such-page"),
                 client.post("/sparql", content="x", headers={"Content-Type": "text/plain"})]
    for response in responses:
        body = response.json()
        assert set(body) == {"ok", "status", "title", "error"} and body["ok"] is False
        assert body["status"] == response.status_code >= 400


def test_named_queries_over_http(client) -> None:
    listing = client.get("/queries").json()
    assert {"name": "model", "type": "id", "default": "llama-3-70b", "description": "the id of the model"} in \
        next(q for q in listing if q["name"] == "controllers-of-model")["params"]
    response = client.get("/queries/controllers-of-model", params={"model": "model-b", "format": "csv"})
    assert response.status_code == 200
    assert "https://example.org/chokepoint/id/parentco,ParentCo,OWNER" in response.text.splitlines()
    assert client.get("/queries/controllers-of-modl").json()["error"].startswith(
        "there is no query 'controllers-of-modl'; did you mean 'controllers-of-model'?")
    assert client.get("/queries/controllers-of-model", params={"model": "a b"}).status_code == 400
    unknown = client.get("/queries/controllers-of-model", params={"model": "model-c"})  # would answer nothing, silently
    assert unknown.status_code == 400 and unknown.json()["error"] == \
        "parameter 'model': the graph has no record 'model-c'; did you mean 'model-b' or 'model-a'?"


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what Firefox and Chrome send


class Table(HTMLParser):
    """A page's table rows as lists of cell texts (th and td alike)."""

    def __init__(self, page: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def test_a_browser_gets_the_questions_as_pages(client) -> None:
    listing = client.get("/queries", headers={"Accept": BROWSER})
    assert listing.headers["content-type"].startswith("text/html")
    for query in named_queries().values():
        assert f'href="/queries/{query.name}"' in listing.text and escape(query.title) in listing.text
    params = {"model": "model-b"}
    page = client.get("/queries/controllers-of-model", params=params, headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    as_csv = list(csv.reader(io.StringIO(client.get("/queries/controllers-of-model", params=params | {"format": "csv"}).text)))
    rows = Table(page.text).rows
    short = [[v.replace("https://example.org/chokepoint/id/", "id:") for v in row] for row in as_csv]
    assert rows == short and ["id:parentco", "ParentCo", "OWNER"] in rows  # the same answer, IRIs as prefix:name
    assert 'value="model-b" list=ids' in page.text  # the form holds the parameters it ran with
    assert '<option value="model-a">' in page.text  # and offers the graph's ids
    assert 'href="/queries/controllers-of-model?model=model-b&amp;format=csv"' in page.text
    assert "VALUES ?model { <https://example.org/chokepoint/id/model-b> }" in unescape(page.text)
    shares = client.get("/queries/compute-share-by-owner", params={"status": "any"}, headers={"Accept": BROWSER}).text
    assert '<td class=n title="24576">24,576</td>' in shares  # numbers rounded for reading, every digit in the title
    assert "<td class=n title=\"0.96" in shares and ">0.9609</td>" in shares
    # every other client still gets JSON and SPARQL results
    assert client.get("/queries").headers["content-type"] == "application/json"
    assert client.get("/queries/controllers-of-model", headers={"Accept": "*/*"}).headers["content-type"].startswith(
        "application/sparql-results+json")


def test_a_browser_is_told_on_the_page_what_was_wrong(client, strict_client) -> None:
    page = client.get("/queries/chokepoints", params={"threshold": "abc"}, headers={"Accept": BROWSER})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "parameter 'threshold' is a number, got 'abc'" in unescape(page.text)
    assert 'value="abc"' in page.text  # kept in the form, to be corrected
    capped = strict_client.get("/queries/controllers-of-model", params={"model": "model-a"}, headers={"Accept": BROWSER})
    assert len(Table(capped.text).rows) == 1 + 3 and "cut at the endpoint's cap of 3" in unescape(capped.text)
    assert client.get("/queries", params={"format": "xml"}).json()["error"] == \
        "format 'xml' is not one of json, html for the list of queries"


def test_named_query_from_the_cli(cli, fixture_build: Path) -> None:
    result = cli("query", "controllers-of-model", "--param", "model=model-b", "--format", "json", "--build", fixture_build)
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {"actor": "https://example.org/chokepoint/id/gov-us", "name": "Government of Testland", "role": "EXPORT_CONTROL"} in rows
    assert cli("query", "controllers-of-model", "--param", "nope=1", "--build", fixture_build).exit_code == 1
    unknown = cli("query", "controllers-of-model", "--param", "model=modelb", "--build", fixture_build)
    assert unknown.exit_code == 1 and "did you mean 'model-b'" in unknown.stderr


def _one_worker_engine(fixture_build: Path, **options: float) -> tuple[object, Callable[[str], object]]:
    """An embedded engine with one worker and the service's own store, and a way to ask it (0.5 s deadline)."""
    from graph_service.sparql_engine import Dataset, EmbeddedEngine
    graph = GraphStore.from_build(fixture_build)
    engine = EmbeddedEngine(graph.path, GRAPH, workers=1, store=graph.store, **options)
    return engine, lambda query: asyncio.run(engine.run_async(query, 0.5, 10, Dataset(), {}))


@pytest.mark.parametrize("in_process_below,answered_again", [(10.0, True), (0.0, False)])
def test_only_a_query_proven_fast_in_a_worker_runs_in_process(fixture_build: Path, in_process_below: float,
                                                              answered_again: bool) -> None:
    """Once the workers are gone, only what the service's own store answers still gets an answer."""
    from graph_service.sparql_engine import QueryTimeout, Solutions
    engine, ask = _one_worker_engine(fixture_build, in_process_below=in_process_below)
    first = ask(MODELS)
    engine.close()
    assert isinstance(first, Solutions) and sorted(r["m"][1] for r in first.rows) == EXPECTED_MODELS
    if answered_again:
        assert ask(MODELS) == first
    else:
        with pytest.raises(QueryTimeout, match="no query slot"):
            ask(MODELS)
    with pytest.raises(QueryTimeout, match="no query slot"):  # never seen: a worker's, and there is none
        ask(MODELS + " LIMIT 1")


def test_a_proven_query_slower_in_process_goes_back_to_the_workers(fixture_build: Path) -> None:
    from graph_service.sparql_engine import QueryTimeout
    engine, ask = _one_worker_engine(fixture_build, in_process_below=10.0)
    proven = ask(MODELS)  # proven in the worker
    engine.close()
    engine.in_process_below = 1e-9  # as if the machine had slowed down: the next run here takes longer than that
    assert ask(MODELS) == proven  # answered in process, and forgotten
    with pytest.raises(QueryTimeout, match="no query slot"):
        ask(MODELS)


def test_the_least_recently_used_proven_query_is_forgotten_first(fixture_build: Path) -> None:
    from graph_service.sparql_engine import Boolean, QueryTimeout
    engine, ask = _one_worker_engine(fixture_build, in_process_below=10.0, remembered=2)
    first, second, third = "ASK { ?s ?p ?o }", "ASK { ?s a ?o }", "ASK { ?s ?p 1 }"
    answers = {query: ask(query) for query in (first, second, first, third)}  # `second` is now the least recent
    engine.close()
    assert (ask(first), ask(third)) == (answers[first], answers[third]) and isinstance(answers[first], Boolean)
    with pytest.raises(QueryTimeout, match="no query slot"):
        ask(second)


def test_a_request_that_goes_away_leaves_the_worker_pool_whole(fixture_build: Path) -> None:
    from graph_service.sparql_engine import Boolean, Dataset, EmbeddedEngine
    engine = EmbeddedEngine(next(fixture_build.glob("graph-*.nt")), GRAPH, workers=1)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

    async def abandon_then_ask() -> object:
        abandoned = asyncio.create_task(engine.run_async(slow, 2, 10, Dataset(), {}))
        await asyncio.sleep(0.05)
        abandoned.cancel()
        with pytest.raises(asyncio.CancelledError):
            await abandoned
        return await engine.run_async("ASK { ?s ?p ?o }", 5, 10, Dataset(), {})

    try:
        assert asyncio.run(abandon_then_ask()) == Boolean(True)
    finally:
        engine.close()
