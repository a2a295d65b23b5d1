"""The command line and the bare service, through their real interfaces."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from tests.conftest import VALID


def test_validate_valid_data(cli) -> None:
    result = cli("validate", VALID)
    assert result.exit_code == 0
    assert "is valid: 7 actors, 2 chips, 2 clusters, 3 datasets, 1 licenses, 2 models, 3 sources, 52 statements" in " ".join(result.stdout.split())


def test_build_prints_counts(tmp_path: Path, cli) -> None:
    result = cli("build", VALID, "--build", tmp_path)
    assert result.exit_code == 0
    assert "statements" in result.stdout and "52" in result.stdout
    assert (tmp_path / "manifest.json").exists()


def test_stats_reads_the_build(fixture_build: Path, cli) -> None:
    result = cli("stats", "--build", fixture_build)
    assert result.exit_code == 0
    assert "models" in result.stdout


def test_health(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["counts"]["models"] == 2


def test_home_page_says_what_the_graph_holds(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "What the graph holds" in response.text and "models" in response.text
    links = re.findall(r'href="([^"]+)"', response.text)
    assert "/queries/controllers-of-model?model=model-a" in links  # the fixture has no llama-3-70b: its first model
    for link in links:  # every link on the page answers, as a browser would follow it
        assert client.get(unescape(link), headers={"Accept": "text/html"}).status_code == 200, link


def test_openapi_describes_the_rest_routes(client) -> None:
    """FastAPI's /docs reads /openapi.json: every REST route must describe itself (SPARQL has its own description)."""
    spec = client.get("/openapi.json")
    assert spec.status_code == 200, spec.text
    paths = spec.json()["paths"]
    assert {"/health", "/queries", "/queries/{name}", "/export", "/export/graph.gexf",
            "/models/{model}/control-graph.svg"} <= set(paths)
    assert "/sparql" in spec.json()["info"]["description"]


def test_docs_page_works_offline(client) -> None:
    """Swagger UI comes from this machine (npm's swagger-ui-dist), like GraphiQL, not from a CDN."""
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in page.text and "cdn." not in page.text
    assert client.get("/static/vendor/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


def test_stats_coverage(fixture_build: Path, cli) -> None:
    result = cli("stats", "--coverage", "--build", fixture_build)
    assert result.exit_code == 0
    rows = {tuple(cell.strip() for cell in line.split("│")[1:5]) for line in result.stdout.splitlines() if "│" in line}
    assert ("Model", "developed_by", "100%", "100%") in rows
    assert ("Model", "hosted_by", "50%", "50%") in rows        # model-a is hosted, model-b is not
    assert ("ComputeCluster", "public", "50%", "50%") in rows
