"""Two independent answers to "who controls the inputs to model X": the projection walk and the SPARQL file.

For every model, in the fixture world and in the real data, both must give the
same set of (actor, role).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.control import controllers_of
from graph_service.named_queries import named_queries
from graph_service.projection import Projection
from graph_service.store import GraphStore
from ingest.schema import default_schema


def both_answers(build: Path) -> list[tuple[str, set, set]]:
    schema = default_schema()
    store = GraphStore.from_build(build)
    projection = Projection.load(store, schema)
    query = named_queries()["controllers-of-model"]
    results = []
    for model in sorted(e.id for e in projection.entities.values() if e.cls == "Model"):
        walked = {(c.actor, role) for c in controllers_of(projection, model, max_depth=64) for role in c.roles}
        rows = store.select(query.render(schema.ns.base, {"model": model}))
        queried = {(r["actor"].value.rsplit("/", 1)[-1], r["role"].value) for r in rows}
        results.append((model, walked, queried))
    return results


def test_fixture_models_agree(fixture_build: Path) -> None:
    for model, walked, queried in both_answers(fixture_build):
        assert walked == queried, model


def test_real_models_agree(real_build: Path) -> None:
    results = both_answers(real_build)
    if not results:
        pytest.fail("data/ holds no models")
    disagreements = {m: (sorted(w - q), sorted(q - w)) for m, w, q in results if w != q}
    assert disagreements == {}
    assert all(walked for _, walked, _ in results)
