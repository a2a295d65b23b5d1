"""Against real servers on loopback: a SPARQL client on the running service, and an external Oxigraph store."""
from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import rdflib
from fastapi.testclient import TestClient
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from graph_service.app import create_app
from graph_service.named_queries import named_queries
from graph_service.store import GraphStore
from tests.servers import chokepoint_server, oxigraph_server
from tests.test_sparql import CONSTRUCT, EXPECTED_MODELS, MODELS


def test_sparqlwrapper_against_the_running_service(fixture_build: Path) -> None:
    with chokepoint_server(fixture_build) as url:
        client = SPARQLWrapper(url + "/sparql")
        client.setQuery(MODELS)
        client.setReturnFormat(JSON)
        rows = client.query().convert()["results"]["bindings"]
        assert [r["m"]["value"] for r in rows] == EXPECTED_MODELS
        client.setMethod("POST")
        client.setQuery(CONSTRUCT)
        client.setReturnFormat(TURTLE)
        graph = rdflib.Graph().parse(data=client.queryAndConvert(), format="turtle")
        assert len(graph) == 2


def test_the_running_service_answers_every_query_and_long_replies(real_build: Path) -> None:
    """Through uvicorn's own event loop (uvloop), one keep-alive client, as researchers' tools connect."""
    queries = named_queries()
    every_triple = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"  # capped at 10,000 rows: a reply far longer than a pipe's buffer
    with chokepoint_server(real_build) as url, httpx.Client(timeout=30) as client:
        for name in sorted(queries):
            for _ in range(3):
                response = client.get(f"{url}/queries/{name}")
                assert response.status_code == 200, (name, response.text[:300])
        for fmt in ("json", "xml", "csv", "tsv"):
            response = client.post(url + "/sparql", params={"format": fmt}, data={"query": every_triple})
            assert response.status_code == 200 and response.headers["chokepoint-truncated"] == "true; max-rows=10000"
        assert len(response.text.splitlines()) == 10_001


def test_the_running_service_stops_a_slow_query_and_keeps_answering(fixture_build: Path) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with chokepoint_server(fixture_build, env=os.environ | {"CHOKEPOINT_QUERY_TIMEOUT": "1"}) as url, \
            httpx.Client(timeout=30) as client:
        for _ in range(3):  # more slow queries than workers: each is stopped and its worker replaced
            response = client.post(url + "/sparql", data={"query": slow})
            assert response.status_code == 503 and "ran past the 1 s limit" in response.json()["error"]
        response = client.post(url + "/sparql", data={"query": MODELS})
        assert response.status_code == 200 and [b["m"]["value"] for b in response.json()["results"]["bindings"]] == EXPECTED_MODELS


@pytest.fixture(scope="module")
def external_client(fixture_build: Path):
    with oxigraph_server() as url:
        patch = pytest.MonkeyPatch()
        patch.setenv("CHOKEPOINT_STORE", url + "/query")
        try:
            yield TestClient(create_app(GraphStore.from_build(fixture_build)))
        finally:
            patch.undo()


def test_external_store_is_loaded_and_answers(external_client, client) -> None:
    assert external_client.get("/health").json()["store"] == "RemoteEngine"
    response = external_client.get("/sparql", params={"query": MODELS})
    assert [b["m"]["value"] for b in response.json()["results"]["bindings"]] == EXPECTED_MODELS
    for path, params in [("/queries/controllers-of-model", {"model": "model-b", "format": "csv"}),
                         ("/sparql", {"query": CONSTRUCT, "format": "ntriples"})]:
        external = external_client.get(path, params=params)
        embedded = client.get(path, params=params)
        assert external.status_code == embedded.status_code == 200
        assert sorted(external.text.splitlines()) == sorted(embedded.text.splitlines())


def test_external_store_keeps_the_safety_rules(external_client) -> None:
    assert external_client.get("/sparql", params={"query": "DROP ALL"}).status_code == 403
    assert external_client.get("/sparql", params={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}).status_code == 400
    response = external_client.get("/sparql", params={"query": "SELEC ?x"})
    assert response.status_code == 400 and response.json()["title"] == "Malformed query"


def test_graphql_serves_from_the_projection_whatever_the_store(external_client) -> None:
    body = external_client.post("/graphql", json={"query": '{ model(id: "model-b") { developedBy { id } } }'}).json()
    assert body == {"data": {"model": {"developedBy": [{"id": "labco"}]}}}
