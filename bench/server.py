"""The service plus a floor route, for benchmarks: `python -m bench.server BUILD PORT MODEL CACHE_SIZE`.

/floor answers POST with constant bytes: the very response /graphql gives for
the benchmarked query, computed once at start. The gap between the two is the
cost of answering (parsing, validating, walking, serialising), not of HTTP.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import uvicorn
from fastapi import Response
from fastapi.testclient import TestClient

from graph_service.app import create_app
from graph_service.store import GraphStore

QUERY = '{ model(id: "%s") { name controllers { actor { id name } roles paths { links { subject predicate object source } } } } }'


def main(build: str, port: int, model: str, cache_size: int) -> None:
    app = create_app(GraphStore.from_build(Path(build)), cache_size=cache_size)
    answer = TestClient(app).post("/graphql", json={"query": QUERY % model}).content
    assert b'"errors"' not in answer, answer[:500]

    @app.post("/floor")
    def floor() -> Response:
        return Response(answer, media_type="application/json")

    print(json.dumps({"answer_bytes": len(answer)}), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
