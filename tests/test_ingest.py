"""YAML in, RDF out: the facts we wrote are the facts SPARQL finds, with their qualifiers and sources."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef

from graph_service.store import GraphStore
from ingest.artifact import ArtifactError, read_manifest, verified_graph_file
from ingest.pipeline import check
from ingest.schema import default_schema
from ingest.shacl import shacl_problems
from tests.conftest import ROOT, VALID

PREFIXES = """
PREFIX cp: <https://example.org/chokepoint/ontology#>
PREFIX id: <https://example.org/chokepoint/id/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX schema: <https://schema.org/>
"""


@pytest.fixture(scope="module")
def store(fixture_build: Path) -> GraphStore:
    return GraphStore.from_build(fixture_build)


def values(store: GraphStore, query: str) -> list[tuple[str, ...]]:
    return sorted(tuple(term.value for term in row.values()) for row in store.select(PREFIXES + query))


def test_real_data_validates_cleanly() -> None:
    assert [str(p) for p in check(ROOT / "data").problems] == []


def test_direct_triples_answer_simple_questions(store: GraphStore) -> None:
    assert values(store, "SELECT ?d WHERE { id:model-a cp:developedBy ?d }") == [("https://example.org/chokepoint/id/labco",)]
    assert values(store, "SELECT ?b WHERE { id:model-b cp:baseModel ?b }") == [("https://example.org/chokepoint/id/model-a",)]


def test_statement_carries_qualifiers_and_reference(store: GraphStore) -> None:
    rows = values(store, """
        SELECT ?share ?from ?url WHERE {
            ?s rdf:subject id:labco ; rdf:predicate cp:ownedBy ; rdf:object id:parentco ;
               cp:share ?share ; cp:validFrom ?from ; prov:wasDerivedFrom ?src .
            ?src schema:url ?url }""")
    assert rows == [("0.6", "2023-01-01", "https://example.org/filing")]


def test_default_source_applies_to_unqualified_facts(store: GraphStore) -> None:
    rows = values(store, """
        SELECT ?src WHERE { ?s rdf:subject id:model-a ; rdf:predicate cp:developedBy ; prov:wasDerivedFrom ?src }""")
    assert rows == [("https://example.org/chokepoint/source/fixture-source",)]


def test_quantities_and_estimates(store: GraphStore) -> None:
    assert values(store, """SELECT ?n WHERE { ?s rdf:subject id:cluster-a ; rdf:predicate cp:hasChip ; cp:count ?n }""") == [("24576",)]
    [(estimate, flop)] = values(store, """SELECT ?e ?v WHERE { ?s rdf:subject id:model-a ; rdf:predicate cp:trainingComputeFlop ;
                                                                 rdf:object ?v ; cp:isEstimate ?e }""")
    assert (estimate, float(flop)) == ("true", 6.3e24)


def test_every_statement_has_a_source(store: GraphStore) -> None:
    rows = values(store, "SELECT ?s WHERE { ?s a cp:Statement FILTER NOT EXISTS { ?s prov:wasDerivedFrom ?src } }")
    assert rows == []
    assert values(store, "SELECT (COUNT(?s) AS ?n) WHERE { ?s a cp:Statement }") == [("52",)]


def test_countries_are_resources_with_names(store: GraphStore) -> None:
    rows = values(store, """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?name WHERE { id:labco cp:headquarteredIn ?c . ?c rdfs:label ?name }""")
    assert rows == [("France",)]


def test_shacl_rejects_a_broken_graph() -> None:
    """Shapes catch what a graph built by other means (an importer, a hand edit) gets wrong."""
    schema = default_schema()
    built = check(VALID)
    graph: Graph = built.graph
    cp, ids = schema.cp, schema.ns.id
    graph.remove((ids["model-a"], cp.developedBy, None))
    statement = next(graph.subjects(cp.share, None))
    graph.set((statement, cp.share, Literal(2.5)))
    graph.add((ids["model-b"], cp.trainedOn, ids["labco"]))
    problems = [p.message for p in shacl_problems(graph, built.origins, schema)]
    assert "a model has at least one developer (developed_by)" in problems
    assert "owned_by 'parentco': share is a fraction between 0 and 1 (write 49% as 0.49) (got 2.5)" in problems
    assert "trainedOn points to labco, which is not a Dataset as the ontology requires" in problems


def test_build_is_deterministic(tmp_path: Path, cli) -> None:
    for out in ("one", "two"):
        assert cli("build", VALID, "--build", tmp_path / out).exit_code == 0
    assert read_manifest(tmp_path / "one") == read_manifest(tmp_path / "two")


def test_manifest_counts_and_hash(fixture_build: Path) -> None:
    path, manifest = verified_graph_file(fixture_build)
    assert manifest.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest.counts == {"actors": 7, "chips": 2, "clusters": 2, "datasets": 3, "licenses": 1, "models": 2,
                               "sources": 3, "statements": 52}
    assert manifest.triples == len(path.read_bytes().splitlines())


def test_tampered_build_is_refused(tmp_path: Path, cli) -> None:
    assert cli("build", VALID, "--build", tmp_path).exit_code == 0
    path, _ = verified_graph_file(tmp_path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ArtifactError, match="does not match"):
        GraphStore.from_build(tmp_path)


def test_missing_build_says_what_to_run(tmp_path: Path, cli) -> None:
    result = cli("stats", "--build", tmp_path)
    assert result.exit_code == 1
    assert "run 'chokepoint build' first" in result.stderr


def test_configurable_base_iri(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.schema import schema_for
    schema = schema_for("https://chokepoint.test/kg/")
    built = check(VALID, schema)
    assert built.problems == []
    assert (URIRef("https://chokepoint.test/kg/id/model-a"), RDF.type, URIRef("https://chokepoint.test/kg/ontology#Model")) in built.graph
