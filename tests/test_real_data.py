"""The headline question on the real data, through HTTP: the seeds' cases answered end to end."""
from __future__ import annotations

from tests.test_graphql import README_EXAMPLE, gql, roles_of


def test_llama_3_70b(real_client) -> None:
    body = gql(real_client, README_EXAMPLE % "llama-3-70b")
    roles = roles_of(body)
    assert roles["meta"] == ["COMPUTE_OPERATOR", "COMPUTE_OWNER", "DEVELOPER", "LICENSOR"]
    assert roles["nvidia"] == ["CHIP_DESIGNER"] and roles["tsmc"] == ["CHIP_FABRICATOR"]
    assert roles["sk-hynix"] == ["MEMORY_SUPPLIER"] and "EQUIPMENT_SUPPLIER" in roles["asml"]
    assert roles["us-bis"] == ["EXPORT_CONTROL"] and "JURISDICTION" in roles["us-government"]
    links = {(l["subject"], l["predicate"], l["object"]) for c in body["data"]["model"]["controllers"]
             for p in c["paths"] for l in p["links"]}
    assert {("llama-3-70b", "trained_at", "meta-genai-cluster-roce"), ("llama-3-70b", "trained_at", "meta-genai-cluster-ib")} & links
    assert ("us-bis", "controls_export_of", "nvidia-h100") in links
    assert all(l["source"].startswith("http") for c in body["data"]["model"]["controllers"] for p in c["paths"] for l in p["links"])


def test_deepseek_r1_base_model_chips_and_export_control(real_client) -> None:
    body = gql(real_client, '{ model(id: "deepseek-r1") { controllers { actor { id } roles paths { role links '
                            '{ subject predicate object from } } } } }')
    controllers = {c["actor"]["id"]: c for c in body["data"]["model"]["controllers"]}
    assert controllers["deepseek"]["roles"] == ["BASE_MODEL_DEVELOPER", "DEVELOPER", "LICENSOR"]
    assert controllers["high-flyer"]["roles"] == ["FUNDER"]
    assert controllers["nvidia"]["roles"] == ["CHIP_DESIGNER"]
    [export] = [p["links"] for p in controllers["us-bis"]["paths"] if p["role"] == "EXPORT_CONTROL"]
    assert export == [
        {"subject": "deepseek-r1", "predicate": "base_model", "object": "deepseek-v3", "from": None},
        {"subject": "deepseek-v3", "predicate": "trained_with", "object": "nvidia-h800", "from": None},
        {"subject": "us-bis", "predicate": "controls_export_of", "object": "nvidia-h800", "from": "2023-10-23"},
    ]
    assert "massachusetts-institute-of-technology" not in controllers  # MIT's steward imposes no terms of its own


def test_openai_ownership_before_and_after_the_2025_recapitalisation(real_client) -> None:
    query = '{ model(id: "gpt-4") { controllers(asOf: "%s", roles: [OWNER]) { actor { id } paths { links { object share from until } } } } }'
    before = {c["actor"]["id"]: c for c in gql(real_client, query % "2024-01-01")["data"]["model"]["controllers"]}
    after = {c["actor"]["id"]: c for c in gql(real_client, query % "2026-01-01")["data"]["model"]["controllers"]}
    assert before["microsoft"]["paths"][0]["links"][-1] == {"object": "microsoft", "share": 0.325, "from": None, "until": "2025-10-28"}
    assert after["microsoft"]["paths"][0]["links"][-1] == {"object": "microsoft", "share": 0.27, "from": "2025-10-28", "until": None}
    assert "openai-foundation" not in before and "openai-foundation" in after


def test_what_depends_on_tsmc(real_client) -> None:
    body = gql(real_client, '{ actor(id: "tsmc") { dependents(roles: [CHIP_FABRICATOR]) { model { id } } } }')
    models = {d["model"]["id"] for d in body["data"]["actor"]["dependents"]}
    assert {"llama-3-70b", "deepseek-v3", "deepseek-r1"} <= models


def test_records_are_linked_to_their_wikidata_items(real_client) -> None:
    """A researcher joins the graph with Wikidata on skos:exactMatch; GraphQL gives the same link."""
    body = gql(real_client, '{ nvidia: entity(id: "nvidia") { wikidata } llama: entity(id: "llama-3-70b") { wikidata } }')
    assert body["data"] == {"nvidia": {"wikidata": "http://www.wikidata.org/entity/Q182477"}, "llama": {"wikidata": None}}
    query = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?record WHERE { ?record skos:exactMatch <http://www.wikidata.org/entity/Q20718> }"""
    response = real_client.get("/sparql", params={"query": query, "format": "csv"})
    assert response.text.split() == ["record", "https://example.org/chokepoint/id/samsung"]
