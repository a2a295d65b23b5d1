"""The GraphQL API through HTTP: the control question, lookups, lists, errors and limits."""
from __future__ import annotations

from graph_service.control import ROLES
from ingest.schema import default_schema

README_EXAMPLE = '{ model(id: "%s") { name controllers { actor { id name } roles paths { links { subject predicate object source } } } } }'


def gql(client, query: str, **variables) -> dict:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def roles_of(body: dict) -> dict[str, list[str]]:
    return {c["actor"]["id"]: c["roles"] for c in body["data"]["model"]["controllers"]}


def test_readme_example_answers_with_roles_paths_and_sources(client) -> None:
    body = gql(client, README_EXAMPLE % "model-b")
    assert "errors" not in body
    assert body["data"]["model"]["name"] == "Model B"
    assert roles_of(body) == {
        "chipco": ["CHIP_DESIGNER"],
        "fabco": ["CHIP_FABRICATOR"],
        "fundco": ["DATA_LICENSOR", "DATA_OWNER", "FUNDER"],
        "gov-us": ["EXPORT_CONTROL", "JURISDICTION"],
        "labco": ["BASE_MODEL_DEVELOPER", "COMPUTE_OPERATOR", "DATA_OWNER", "DEVELOPER", "LICENSOR"],
        "parentco": ["COMPUTE_OWNER", "OWNER"],
    }
    parentco = next(c for c in body["data"]["model"]["controllers"] if c["actor"]["id"] == "parentco")
    owner_path = parentco["paths"][1]["links"]
    assert owner_path == [
        {"subject": "model-b", "predicate": "developed_by", "object": "labco", "source": "Test fixture"},
        {"subject": "labco", "predicate": "owned_by", "object": "parentco", "source": "https://example.org/filing"},
    ]


def test_links_carry_qualifiers(client) -> None:
    body = gql(client, '{ model(id: "model-b") { controllers(roles: [OWNER, FUNDER]) { actor { id } paths { role links '
                       '{ predicate share from amount currency date count } } } } }')
    paths = {p["role"]: p["links"][-1] for c in body["data"]["model"]["controllers"] for p in c["paths"]}
    assert paths["OWNER"] == {"predicate": "owned_by", "share": 0.6, "from": "2023-01-01", "amount": None,
                              "currency": None, "date": None, "count": None}
    assert paths["FUNDER"]["amount"] == 1e9 and paths["FUNDER"]["currency"] == "EUR" and paths["FUNDER"]["date"] == "2024-06-01"


def test_as_of_applies_validity_intervals(client) -> None:
    query = '{ model(id: "model-b") { controllers(asOf: "%s") { actor { id } roles } } }'
    before = roles_of(gql(client, query % "2022-06-01"))
    after = roles_of(gql(client, query % "2024-06-01"))
    assert before["parentco"] == ["COMPUTE_OWNER"]           # LabCo was not yet owned by ParentCo
    assert after["parentco"] == ["COMPUTE_OWNER", "OWNER"]


def test_model_without_cluster_gets_chip_roles_from_trained_with(client) -> None:
    body = gql(client, '{ model(id: "model-b") { controllers(roles: [CHIP_DESIGNER]) { actor { id } paths { links { predicate count } } } } }')
    [designer] = body["data"]["model"]["controllers"]
    assert designer["actor"]["id"] == "chipco"
    assert designer["paths"][0]["links"] == [{"predicate": "trained_with", "count": 2048}, {"predicate": "designed_by", "count": None}]


def test_max_depth_cuts_long_paths(client) -> None:
    body = gql(client, '{ model(id: "model-b") { controllers(maxDepth: 1) { actor { id } roles } } }')
    assert roles_of(body) == {"labco": ["DEVELOPER"]}


def test_control_groups_by_ultimate_parent(client) -> None:
    body = gql(client, '{ model(id: "model-b") { controlGroups { parent { id } actors { id } roles } } }')
    groups = {g["parent"]["id"]: g for g in body["data"]["model"]["controlGroups"]}
    assert [a["id"] for a in groups["parentco"]["actors"]] == ["labco", "parentco"]
    assert "COMPUTE_OWNER" in groups["parentco"]["roles"] and "DEVELOPER" in groups["parentco"]["roles"]


def test_dependents_and_ultimate_parents(client) -> None:
    body = gql(client, '{ actor(id: "chipco") { dependents { model { id } roles } } '
                       'labco: actor(id: "labco") { ultimateParents { id } kind } }')
    assert body["data"]["actor"]["dependents"] == [{"model": {"id": "model-a"}, "roles": ["CHIP_DESIGNER"]},
                                                   {"model": {"id": "model-b"}, "roles": ["CHIP_DESIGNER"]}]
    assert body["data"]["labco"] == {"ultimateParents": [{"id": "parentco"}], "kind": "company"}


def test_entity_fields_follow_the_ontology(client) -> None:
    body = gql(client, '{ model(id: "model-a") { developedBy { id name } released parameters openWeights trainingComputeFlop '
                       'trainedAt { id locatedIn { code name } chips { id } } license { spdx osiApproved } sources { id url } } '
                       'actor(id: "labco") { develops { id } owns { id } headquarteredIn { code } } }')
    model = body["data"]["model"]
    assert model["developedBy"] == [{"id": "labco", "name": "LabCo"}]
    assert (model["released"], model["parameters"], model["openWeights"]) == ("2024-04-18", 70000000000, True)
    assert model["trainingComputeFlop"] == 6.3e24
    assert model["trainedAt"] == [{"id": "cluster-a", "locatedIn": [{"code": "US", "name": "United States"}], "chips": [{"id": "nvidia-h100"}]}]
    assert model["license"] == [{"spdx": None, "osiApproved": False}]
    assert model["sources"] == [{"id": "fixture-source", "url": None}]
    assert body["data"]["actor"] == {"develops": [{"id": "model-a"}, {"id": "model-b"}], "owns": [], "headquarteredIn": [{"code": "FR"}]}


def test_every_ontology_property_is_a_graphql_field(client) -> None:
    schema = default_schema()
    body = gql(client, '{ __schema { types { name fields { name } } } }')
    fields = {t["name"]: {f["name"] for f in t["fields"] or []} for t in body["data"]["__schema"]["types"]}
    for spec in schema.classes.values():
        if spec.directory == "sources":
            continue
        camel = {k.split("_")[0] + "".join(w.title() for w in k.split("_")[1:]) for k in spec.properties}
        assert camel - fields[spec.name] == set(), spec.name


def test_role_enum_is_the_ontologys(client) -> None:
    body = gql(client, '{ __type(name: "Role") { enumValues { name } } }')
    assert sorted(v["name"] for v in body["data"]["__type"]["enumValues"]) == ROLES


def test_search_ranks_exact_then_prefix_then_substring(client) -> None:
    body = gql(client, '{ search(text: "lab co") { id name type } }')
    assert body["data"]["search"][0] == {"id": "labco", "name": "LabCo", "type": "ACTOR"}
    body = gql(client, '{ search(text: "co", type: ACTOR) { id } }')  # a substring of many: shortest name first
    assert [r["id"] for r in body["data"]["search"]] == ["fabco", "labco", "chipco", "fundco", "cloudco", "parentco"]
    assert gql(client, '{ search(text: "fund") { id } }')["data"]["search"] == [{"id": "fundco"}]
    assert gql(client, '{ search(text: "model") { id } }')["data"]["search"] == [{"id": "model-a"}, {"id": "model-b"}]


def test_lists_filter_and_paginate(client) -> None:
    body = gql(client, '{ models(developer: "labco", first: 1) { total items { id } } clusters(country: "us") { total } '
                       'actors(kind: "investor") { items { id } } }')
    assert body["data"]["models"] == {"total": 2, "items": [{"id": "model-a"}]}
    assert body["data"]["clusters"]["total"] == 1
    assert body["data"]["actors"]["items"] == [{"id": "fundco"}]
    body = gql(client, '{ models(openWeights: true, releaseYear: 2024) { items { id } } }')
    assert body["data"]["models"]["items"] == [{"id": "model-a"}]


def test_unknown_id_is_a_graphql_error_with_a_suggestion(client) -> None:
    body = gql(client, '{ model(id: "model-c") { name } }')
    assert body["data"] is None
    assert body["errors"][0]["message"] == "no model with id 'model-c'; did you mean 'model-b' or 'model-a'?"
    body = gql(client, '{ chip(id: "labco") { name } }')
    assert body["errors"][0]["message"] == "'labco' is an actor, not a chip"


def test_bad_arguments_are_errors_not_500s(client) -> None:
    body = gql(client, '{ model(id: "model-a") { controllers(maxDepth: 0) { roles } } }')
    assert body["errors"][0]["message"] == "maxDepth must be between 1 and 32, got 0"
    body = gql(client, '{ model(id: "model-a") { controllers(roles: [KING]) { roles } } }')
    assert "KING" in body["errors"][0]["message"]
    body = gql(client, '{ model(id: "model-a") { controllers(asOf: "yesterday") { roles } } }')
    assert "yesterday" in body["errors"][0]["message"]


def test_limits_protect_the_server(client) -> None:
    deep = "{ model(id: \"model-a\") { " + "developedBy { develops { " * 9 + "id" + " } }" * 9 + " } }"
    assert "exceeds maximum operation depth" in gql(client, deep)["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{i}: model(id: \"model-a\") {{ id }}" for i in range(65)) + " }"
    assert "aliases found" in gql(client, aliases)["errors"][0]["message"]


def test_a_repeated_query_is_validated_once_and_still_limited(client) -> None:
    """The validation cache is keyed on the limiters' rules: rules made per request would miss it every time."""
    from strawberry.extensions.validation_cache import _get_validate_cache  # the cache strawberry keeps per maxsize
    cache = _get_validate_cache(256)
    query = "query One($id: ID!) { model(id: $id) { id name } }"  # new variables: not from the answer cache
    gql(client, query, id="model-a")
    before = cache.cache_info()
    assert gql(client, query, id="model-b")["data"]["model"]["id"] == "model-b"
    after = cache.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    deep = "{ model(id: \"model-b\") { " + "developedBy { develops { " * 9 + "id" + " } }" * 9 + " } }"
    for _ in range(2):  # refused again when the refusal comes from the cache
        assert "exceeds maximum operation depth" in gql(client, deep)["errors"][0]["message"]


def test_explorer_opens_with_the_example_and_local_assets(client) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'model(id: \\"llama-3-70b\\")' in page.text
    assert "/static/vendor/graphiql/graphiql.min.js" in page.text
    assert client.get("/static/vendor/graphiql/graphiql.min.js").status_code == 200
