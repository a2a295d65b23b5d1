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


REAL_EXPECTATIONS = {
    "controllers-of-model": ({"model": "deepseek-r1"}, lambda rows: {("us-bis", "EXPORT_CONTROL"), ("high-flyer", "FUNDER"),
                                                                      ("deepseek", "BASE_MODEL_DEVELOPER")} <= {(r["actor"], r["role"]) for r in rows}),
    "open-weight-models-by-compute": ({"threshold": "1e25"}, lambda rows: {"llama-3.1-405b", "mistral-large-2"} <= {r["model"] for r in rows}
                                      and all(float(r["flop"]) >= 1e25 for r in rows)
                                      and [float(r["flop"]) for r in rows] == sorted((float(r["flop"]) for r in rows), reverse=True)),
    "compute-share-by-owner": ({"status": "any"}, lambda rows: abs(sum(float(r["share"]) for r in rows) - 1) < 1e-9
                               and rows[0]["name"] in ("Blue Owl Capital", "Crusoe") and float(rows[0]["hhi"]) > 1500
                               and {"G42", "Nscale"} <= {r["name"] for r in rows}),  # owners of planned GB300 sites
    # planned sites count too: Stargate Norway's and UAE's 100,000 GB300 GPUs each (B300 at 2,250 dense BF16 TFLOPS)
    "compute-share-by-country": ({"status": "any"}, lambda rows: rows[0]["name"] == "United States" and float(rows[0]["share"]) > 0.8
                                 and all(int(r["h100e"]) > 200_000 for r in rows if r["name"] in ("Norway", "United Arab Emirates"))
                                 and {"Norway", "United Arab Emirates"} <= {r["name"] for r in rows}),
    "chokepoints": ({"threshold": "1e25"}, lambda rows: {("nvidia", "CHIP_DESIGNER"), ("tsmc", "CHIP_FABRICATOR")}
                    <= {(r["actor"], r["role"]) for r in rows}),
    "licensed-data": ({}, lambda rows: {"dataset": "reddit-data-api", "datasetName": "Reddit posts and comments (Data API)",
                                        "licensor": "Reddit, Inc.", "licensee": "Google", "amount": "60000000", "currency": "USD",
                                        "date": "2024-02"} in rows),
    "hosted-open-models": ({}, lambda rows: ("llama-3-70b", "Amazon.com, Inc.") in {(r["model"], r["hostParent"]) for r in rows}),
    "public-compute": ({}, lambda rows: {r["cluster"] for r in rows} >= {"jean-zay", "jupiter", "isambard-ai"}
                       and all(float(r["ratio"]) < 1 for r in rows if "ratio" in r)),
    "open-model-licences": ({}, lambda rows: ("llama-3-70b", "false", "700000000") in
                            {(r["model"], r["osiApproved"], r.get("userCap")) for r in rows}
                            and ("deepseek-r1", "MIT", "true") in {(r["model"], r.get("spdx"), r["osiApproved"]) for r in rows}),
    "compute-gap": ({}, lambda rows: ("stargate-abilene", "165.2", "12106537") in
                    {(r["cluster"], r["consumerTflops"], r["consumerGpus"]) for r in rows}),
}


def test_every_query_has_a_real_data_expectation() -> None:
    assert sorted(named_queries()) == sorted(REAL_EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(REAL_EXPECTATIONS))
def test_query_answers_on_the_real_data(name: str, real_build: Path) -> None:
    params, expected = REAL_EXPECTATIONS[name]
    rows = answer(real_build, name, **params)
    assert rows and expected(rows), rows[:5]
