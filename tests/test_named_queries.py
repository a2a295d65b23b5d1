"""Every research question in queries/ answers as expected: exactly on the fixture world, and on the real data.

A query without an expectation here fails the suite, so a new .rq file comes with its test.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.named_queries import named_queries
from graph_service.sparql_engine import Dataset, Solutions, run_on_store
from graph_service.store import GraphStore

ID = "https://example.org/chokepoint/id/"


def answer(build: Path, name: str, **params: str) -> list[dict[str, str]]:
    graph = GraphStore.from_build(build)
    result = run_on_store(graph.store, named_queries()[name].render(graph.manifest.base, params), 10_000, Dataset(),
                          graph.manifest.base + "graph")
    assert isinstance(result, Solutions)
    return [{k: v[1].removeprefix(ID) for k, v in row.items()} for row in result.rows]


FIXTURE_EXPECTATIONS = {
    "controllers-of-model": ({"model": "model-a"}, lambda rows: {(r["actor"], r["role"]) for r in rows} == {
        ("labco", "DEVELOPER"), ("parentco", "COMPUTE_OWNER"), ("labco", "COMPUTE_OPERATOR"), ("chipco", "CHIP_DESIGNER"),
        ("fabco", "CHIP_FABRICATOR"), ("gov-us", "EXPORT_CONTROL"), ("gov-us", "JURISDICTION"), ("labco", "DATA_OWNER"),
        ("fundco", "DATA_OWNER"), ("labco", "LICENSOR"), ("parentco", "OWNER"), ("fundco", "FUNDER")}),
    "open-weight-models-by-compute": ({"threshold": "1e24"}, lambda rows: rows == [
        {"model": "model-a", "name": "Model A", "flop": "6300000000000000000000000", "estimate": "true",
         "developer": "LabCo", "compute": "Cluster A", "computeOwner": "ParentCo"}]),
    "compute-share-by-owner": ({"status": "any"}, lambda rows: [(r["name"], round(float(r["share"]), 4)) for r in rows] ==
                               [("ParentCo", 0.9609), ("Government of Testland", 0.0391)]
                               and {round(float(r["hhi"]), 1) for r in rows} == {9248.6} and {r["top4"] for r in rows} == {"1"}),
    "compute-share-by-country": ({}, lambda rows: [(r["name"], r["h100e"], round(float(r["hhi"]), 1)) for r in rows] ==
                                 [("United States", "24576", 9248.6), ("France", "1000", 9248.6)]),
    "chokepoints": ({"threshold": "1e20"}, lambda rows: {(r["actor"], r["role"], r["every"]) for r in rows} == {
        ("chipco", "CHIP_DESIGNER", "true"), ("fabco", "CHIP_FABRICATOR", "true"), ("gov-us", "EXPORT_CONTROL", "true"),
        ("labco", "COMPUTE_OPERATOR", "true"), ("parentco", "COMPUTE_OWNER", "true")}),
    "licensed-data": ({}, lambda rows: rows == [
        {"dataset": "forum-posts", "datasetName": "Forum Posts", "licensor": "FundCo", "licensee": "LabCo",
         "amount": "60000000", "date": "2024-02-22", "model": "Model B"}]),
    "hosted-open-models": ({}, lambda rows: rows == [
        {"model": "model-a", "name": "Model A", "developer": "LabCo", "host": "CloudCo", "hostParent": "ParentCo"}]),
    "public-compute": ({}, lambda rows: [(r["name"], r["h100e"], r["largestPrivate"], round(float(r["ratio"]), 4)) for r in rows]
                       == [("Public Cluster", "1000", "24576", 0.0407)]),
    "open-model-licences": ({}, lambda rows: [(r["name"], r.get("spdx"), r["osiApproved"], r["userCap"], r["restrictions"])
                                              for r in rows] ==
                            [("Model A", None, "false", "700000000", "Licensees above the user cap must ask LabCo for a licence.")]),
    "compute-gap": ({"consumer": "consumer-x"}, lambda rows: [(r["name"], r["consumerGpus"]) for r in rows] ==
                    [("Cluster A", "147307"), ("Public Cluster", "5994")]),
}


def test_every_query_has_an_expectation() -> None:
    assert sorted(named_queries()) == sorted(FIXTURE_EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(FIXTURE_EXPECTATIONS))
def test_query_answers_on_the_fixture(name: str, fixture_build: Path) -> None:
    params, expected = FIXTURE_EXPECTATIONS[name]
    rows = answer(fixture_build, name, **params)
    assert expected(rows), rows


def test_queries_have_headers_and_run_with_defaults(fixture_build: Path) -> None:
    for query in named_queries().values():
        assert query.title and query.description, query.name
        answer(fixture_build, query.name)  # runs as written, defaults included
