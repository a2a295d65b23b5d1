"""The lean executor answers exactly what graphql-core's own executor answers.

Every model's controllers (the README query plus every qualifier of a link),
every record with all its scalar and list fields, and the error cases, run
through both executors on the real data; data and errors must be identical.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph_service.graphql_api import build_schema
from graph_service.graphql_execution import LeanExecutionContext
from graph_service.projection import Projection
from graph_service.store import GraphStore
from ingest.schema import default_schema

CONTROLLERS = """{ model(id: "%s") { name controllers { actor { id name } roles
  paths { role links { subject subjectName predicate object objectName source share amount count date from until
                       estimate note sourceRecord { id title url publisher date } } } } } }"""
RECORD = """{ entity(id: "%s") { id name aliases wikidata description type
  ... on Model { released parameters openWeights trainingComputeFlop }
  ... on Chip { processNodeNm memoryGb bf16Tflops released }
  ... on ComputeCluster { status powerMw h100Equivalents public }
  ... on License { spdx osiApproved commercialUse userCap restrictions }
  facts { subject predicate object source share count estimate } } }"""
# Aliases, __typename, a fragment and a resolver field (kind) inside the plain parts: the fallbacks must agree too.
MIXED = """{ model(id: "%s") { controllers(maxDepth: 3) { __typename who: actor { id ... on Actor { kind name } }
  roles paths { links { __typename s: subject o: object sourceRecord { title } } } } } }"""
ERRORS = ['{ model(id: "no-such-model") { name } }', '{ model(id: "meta") { name } }',
          '{ models(first: -1) { total } }', '{ model(id: "llama-3-70b") { controllers(maxDepth: 0) { roles } } }']


@pytest.fixture(scope="module")
def two_executors(real_build: Path):
    schema = default_schema()
    projection = Projection.load(GraphStore.from_build(real_build), schema)
    lean = build_schema(schema)
    plain = copy.copy(lean)
    plain.execution_context_class = StrawberryGraphQLCoreExecutionContext
    assert lean.execution_context_class is LeanExecutionContext
    return lean, plain, {"projection": projection}


def same_answer(two_executors, query: str) -> None:
    lean, plain, context = two_executors
    fast, slow = lean.execute_sync(query, context_value=context), plain.execute_sync(query, context_value=context)
    assert fast.data == slow.data, query
    assert [(e.message, e.path) for e in fast.errors or []] == [(e.message, e.path) for e in slow.errors or []], query


def test_every_models_controllers(two_executors) -> None:
    projection = two_executors[2]["projection"]
    models = sorted(e.id for e in projection.entities.values() if e.cls == "Model")
    assert len(models) > 100
    for model in models:
        same_answer(two_executors, CONTROLLERS % model)
        same_answer(two_executors, MIXED % model)


def test_every_record_with_its_fields(two_executors) -> None:
    for entity in sorted(two_executors[2]["projection"].entities):
        same_answer(two_executors, RECORD % entity)


@pytest.mark.parametrize("query", ERRORS)
def test_errors(two_executors, query: str) -> None:
    lean, _, context = two_executors
    assert lean.execute_sync(query, context_value=context).errors
    same_answer(two_executors, query)
