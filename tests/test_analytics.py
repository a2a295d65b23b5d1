"""Concentration and chokepoints on a small world computed by hand (tests/fixtures/analytics), through GraphQL and the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from graph_service.cli import app as cli_app
from tests.conftest import build_world, serve_world

WORLD = Path(__file__).parent / "fixtures" / "analytics"
CONCENTRATION = '{ concentration(input: %s, by: %s) { unit total hhi top1 top4 shares { holder share links { subject predicate object } } excluded } }'


@pytest.fixture(scope="module")
def world_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(WORLD, tmp_path_factory)


@pytest.fixture(scope="module")
def world(world_build: Path) -> TestClient:
    return serve_world(world_build)


def concentration(client: TestClient, input: str, by: str) -> dict:
    body = client.post("/graphql", json={"query": CONCENTRATION % (input, by)}).json()
    assert "errors" not in body, body
    return body["data"]["concentration"]


def shares(answer: dict) -> dict[str, float]:
    return {s["holder"]: round(s["share"], 6) for s in answer["shares"]}


def test_compute_by_ultimate_owner(world) -> None:
    # c1 (600 H100e) is owned by Sub Cloud, a subsidiary of BigCo; c2 (200) by Lab One, 60% owned by BigCo;
    # c3 (200) by SmallCo. BigCo 800/1000 = 0.8, SmallCo 0.2: HHI = (0.8² + 0.2²) x 10,000 = 6,800.
    answer = concentration(world, "COMPUTE", "OWNER")
    assert shares(answer) == {"bigco": 0.8, "smallco": 0.2}
    assert (answer["total"], answer["hhi"], answer["top1"], answer["top4"]) == (1000.0, 6800.0, 0.8, 1.0)
    assert answer["unit"] == "H100-equivalents of clusters" and answer["excluded"] == []
    bigco = answer["shares"][0]["links"]
    assert {"subject": "c2", "predicate": "owned_by", "object": "lab1"} in bigco   # each figure cites its facts
    assert {"subject": "lab1", "predicate": "owned_by", "object": "bigco"} in bigco
    assert {"subject": "sub-cloud", "predicate": "subsidiary_of", "object": "bigco"} in bigco


def test_compute_by_country_and_memory_split_between_suppliers(world) -> None:
    assert shares(concentration(world, "COMPUTE", "COUNTRY")) == {"US": 0.8, "FR": 0.2}
    # Reference chips: 600 + 200 H100e, all Memory One. Chip B: 400 x 500/1000 = 200 H100e, split between
    # Memory One and Memory Two: 900 vs 100, HHI = (0.81 + 0.01) x 10,000 = 8,200.
    memory = concentration(world, "MEMORY", "OWNER")
    assert shares(memory) == {"mem1": 0.9, "mem2": 0.1} and memory["hhi"] == 8200.0
    design = concentration(world, "CHIP_DESIGN", "OWNER")
    assert shares(design) == {"designer": 1.0} and design["hhi"] == 10000.0


def test_model_development_and_data(world) -> None:
    # Model X 3e24 FLOP (Lab One, US; BigCo above it), Model Y 1e24 (Lab Two, FR): 0.75 / 0.25, HHI 6,250.
    development = concentration(world, "MODEL_DEVELOPMENT", "OWNER")
    assert shares(development) == {"bigco": 0.75, "lab2": 0.25} and development["hhi"] == 6250.0
    assert shares(concentration(world, "MODEL_DEVELOPMENT", "COUNTRY")) == {"US": 0.75, "FR": 0.25}
    # Model X: Data One (DataHouse) counts 1; Model Y: Data One 0.5, Data Two (Lab Two) 0.5. 1.5/2 and 0.5/2.
    data = concentration(world, "DATA", "OWNER")
    assert shares(data) == {"datahouse": 0.75, "lab2": 0.25} and data["hhi"] == 6250.0


def test_chokepoints(world) -> None:
    # Model X trains at c1 (Sub Cloud, BigCo, reference chips: Designer, Foundry, Memory One) and c3 (SmallCo,
    # reference chips): only Designer, Foundry and Memory One are in both. Its only data is DataHouse's.
    # Model Y trains with Chip B (Designer, Foundry, Memory One and Two); its two datasets share no controller.
    body = world.post("/graphql", json={"query": "{ chokepoints { actor { id } resource modelCount models { id } "
                                                 "links { subject predicate object } } }"}).json()
    found = [(c["actor"]["id"], c["resource"], [m["id"] for m in c["models"]]) for c in body["data"]["chokepoints"]]
    assert found == [("designer", "COMPUTE", ["model-x", "model-y"]), ("foundry", "COMPUTE", ["model-x", "model-y"]),
                     ("mem1", "COMPUTE", ["model-x", "model-y"]), ("datahouse", "DATA", ["model-x"]),
                     ("mem2", "COMPUTE", ["model-y"])]
    datahouse = body["data"]["chokepoints"][3]
    assert datahouse["modelCount"] == 1 and datahouse["links"] == [
        {"subject": "model-x", "predicate": "trained_on", "object": "data-1"},
        {"subject": "data-1", "predicate": "owned_by", "object": "datahouse"}]


def test_centrality_is_exported_as_node_attributes(world) -> None:
    import csv
    import io
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(world.get("/export/nodes.csv").text))}
    # Everything on the supply side points at Designer: it outranks a model that nothing depends on.
    assert float(rows["designer"]["pagerank"]) > float(rows["model-x"]["pagerank"])
    assert float(rows["bigco"]["h100e_controlled"]) == 800.0


def test_cli_analyze(world_build: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["analyze", "concentration", "--input", "compute", "--by", "owner", "--build", str(world_build)])
    assert result.exit_code == 0, result.output
    assert "HHI 6,800" in result.stdout and "BigCo" in result.stdout and "80.0%" in result.stdout
    result = runner.invoke(cli_app, ["analyze", "chokepoints", "--build", str(world_build)])
    assert result.exit_code == 0 and "DataHouse" in result.stdout
    result = runner.invoke(cli_app, ["analyze", "centrality", "-n", "3", "--build", str(world_build)])
    assert result.exit_code == 0 and "pagerank" in result.stdout
    assert runner.invoke(cli_app, ["analyze", "concentration", "--input", "oil", "--build", str(world_build)]).exit_code == 1
