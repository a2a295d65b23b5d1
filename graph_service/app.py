"""The FastAPI application: each surface is a router given the loaded graph."""
from __future__ import annotations

import os
from contextlib import asynccontextmanager
from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from graph_service.errors import install_error_handlers
from graph_service.explorer import mount_assets
from graph_service.exports import exports_router
from graph_service.graphql_api import GraphQLEndpoint, build_schema
from graph_service.named_queries import NamedQuery, named_queries, queries_router
from graph_service.projection import Projection
from graph_service.sparql import SparqlSettings, query_page, service_description, sparql_routes
from graph_service.sparql_engine import EmbeddedEngine, RemoteEngine
from graph_service.store import GraphStore
from ingest.schema import Schema, default_schema

PREFIXES = {"cp": "ontology#", "id": "id/", "source": "source/", "country": "country/"}
STANDARD_PREFIXES = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#", "prov": "http://www.w3.org/ns/prov#",
                     "skos": "http://www.w3.org/2004/02/skos/core#", "schema": "https://schema.org/"}


def make_engine(graph: GraphStore, graph_iri: str) -> EmbeddedEngine | RemoteEngine:
    """The embedded Oxigraph by default; CHOKEPOINT_STORE=<query URL> for an external SPARQL 1.1 server
    (CHOKEPOINT_STORE_GSP=<Graph Store protocol URL> if it is not the query URL's sibling /store)."""
    external = os.environ.get("CHOKEPOINT_STORE")
    if external:
        return RemoteEngine(external, graph_iri, graph.path, os.environ.get("CHOKEPOINT_STORE_GSP"))
    return EmbeddedEngine(graph.path, graph_iri, workers=int(os.environ.get("CHOKEPOINT_SPARQL_WORKERS", 2)),
                          store=graph.store)


def create_app(graph: GraphStore, schema: Schema | None = None, cache_size: int = 512,
               engine: EmbeddedEngine | RemoteEngine | None = None) -> FastAPI:
    """The service for one loaded graph. No module-level state: tests build their own.

    `cache_size` bounds the GraphQL answer cache (0 turns it off, as the benchmark does to measure cold answers).
    """
    schema = schema or default_schema()
    base = schema.ns.base
    graph_iri = base + "graph"
    projection = Projection.load(graph, schema)
    engine = engine or make_engine(graph, graph_iri)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        engine.close()

    settings = SparqlSettings.from_env(graph_iri)
    queries = named_queries()
    prefixes = {p: base + suffix for p, suffix in PREFIXES.items()} | STANDARD_PREFIXES
    examples = [(q.name, q.title, q.render(base)) for q in queries.values()]
    sparql = sparql_routes(engine.run_async, settings,
                           description=lambda: service_description(base + "sparql", graph_iri, graph.manifest.triples),
                           page=lambda: query_page(prefixes, examples))
    app = FastAPI(title="Chokepoint", lifespan=lifespan, routes=sparql, docs_url=None, redoc_url=None,
                  description="Who controls the means of production of AI. Besides the routes below: `/sparql`, a "
                  "SPARQL 1.1 Protocol endpoint (GET it for its service description) and `/graphql`.")
    app.state.graph, app.state.projection, app.state.engine = graph, projection, engine
    install_error_handlers(app)

    async def graphql_context() -> dict:
        return {"projection": projection}

    app.include_router(GraphQLEndpoint(build_schema(schema), context_getter=graphql_context, graphql_ide="graphiql",
                                       cache_size=cache_size), prefix="/graphql")

    app.include_router(queries_router(queries, base, engine.run_async, settings, prefixes, graph.record_ids()))
    app.include_router(exports_router(projection, graph))
    mount_assets(app)

    @app.get("/health")
    def health() -> dict:
        """Liveness and what build is being served."""
        m = graph.manifest
        return {"status": "ok", "triples": m.triples, "sha256": m.sha256, "counts": m.counts,
                "store": type(engine).__name__}

    first_model = _example_model(projection, queries)

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{v:,}</td></tr>" for k, v in graph.manifest.counts.items())
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chokepoint</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td{{padding:.2rem 1rem;border-bottom:1px solid #ddd}}td+td{{text-align:right}}</style>
</head><body><h1>Chokepoint</h1>
<p>Who controls the means of production of AI: a knowledge graph of compute, chips, datacenters, data and licences,
with a source for every fact.</p>
<ul><li>Who controls the inputs to a model: <a href="/queries/controllers-of-model?model={escape(first_model)}">the
research question</a> (a page, with a form for other models), or the <a href="/graphql">GraphQL explorer</a>, with the
path and source of every link.</li>
<li><a href="/queries">The {len(queries)} research questions</a>, each a page, a named SPARQL query and a CLI command.</li>
<li><a href="/export">Exports</a> for Gephi, Cytoscape and RDF tools; a model's control graph as a picture, e.g.
<a href="/models/{escape(first_model)}/control-graph.svg">/models/{escape(first_model)}/control-graph.svg</a>.</li>
<li><a href="/sparql">SPARQL</a>: the graph for researchers' own tools.</li></ul>
<h2>What the graph holds</h2><table>{rows}<tr><td>triples</td><td>{graph.manifest.triples:,}</td></tr></table>
<p>Build <code>{graph.manifest.sha256[:16]}</code> · <a href="/health">/health</a></p></body></html>"""

    return app


def _example_model(projection: Projection, queries: dict[str, NamedQuery]) -> str:
    """The home page's example: the flagship question's own default model, where this graph has it."""
    models = sorted(e.id for e in projection.entities.values() if e.cls == "Model")
    flagship = queries.get("controllers-of-model")
    default = flagship.params["model"].default if flagship and "model" in flagship.params else None
    return default if default in models else (models[0] if models else "ID")
