"""The FastAPI application: each surface is a router given the loaded graph."""
from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from graph_service.store import GraphStore


def create_app(graph: GraphStore) -> FastAPI:
    """The service for one loaded graph. No module-level state: tests build their own."""
    app = FastAPI(title="Chokepoint", description="Who controls the means of production of AI.")

    @app.get("/health")
    def health() -> dict:
        """Liveness and what build is being served."""
        m = graph.manifest
        return {"status": "ok", "triples": m.triples, "sha256": m.sha256, "counts": m.counts}

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{v:,}</td></tr>" for k, v in graph.manifest.counts.items())
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chokepoint</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td{{padding:.2rem 1rem;border-bottom:1px solid #ddd}}td+td{{text-align:right}}</style>
</head><body><h1>Chokepoint</h1>
<p>Who controls the means of production of AI: a knowledge graph of compute, chips, datacenters, data and licences,
with a source for every fact.</p>
<h2>What the graph holds</h2><table>{rows}<tr><td>triples</td><td>{graph.manifest.triples:,}</td></tr></table>
<p>Build <code>{graph.manifest.sha256[:16]}</code> · <a href="/health">/health</a></p></body></html>"""

    return app
