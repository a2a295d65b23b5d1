"""The FastAPI application: each surface is a router given the loaded graph."""
from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from graph_service.explorer import mount_assets
from graph_service.graphql_api import GraphQLEndpoint, build_schema
from graph_service.projection import Projection
from graph_service.store import GraphStore
from ingest.schema import Schema, default_schema


def create_app(graph: GraphStore, schema: Schema | None = None, cache_size: int = 512) -> FastAPI:
    """The service for one loaded graph. No module-level state: tests build their own.

    `cache_size` bounds the GraphQL answer cache (0 turns it off, as the benchmark does to measure cold answers).
    """
    schema = schema or default_schema()
    projection = Projection.load(graph, schema)
    app = FastAPI(title="Chokepoint", description="Who controls the means of production of AI.")
    app.state.graph, app.state.projection = graph, projection

    async def graphql_context() -> dict:
        return {"projection": projection}

    app.include_router(GraphQLEndpoint(build_schema(schema), context_getter=graphql_context, graphql_ide="graphiql",
                                       cache_size=cache_size), prefix="/graphql")
    mount_assets(app)

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
<ul><li><a href="/graphql">GraphQL explorer</a>: who controls the inputs to a model, with the path and source of every link.</li></ul>
<h2>What the graph holds</h2><table>{rows}<tr><td>triples</td><td>{graph.manifest.triples:,}</td></tr></table>
<p>Build <code>{graph.manifest.sha256[:16]}</code> · <a href="/health">/health</a></p></body></html>"""

    return app
