"""Named queries: the research questions in queries/*.rq, read from the files themselves.

A file starts with a header of comments:

    # title: Who controls the inputs to a model
    # description: ...
    # param: model (id) = llama-3-70b : the id of the model

and runs as is in any SPARQL client, with the defaults. A parameter `p` is
bound in the body by `VALUES ?p { default }`; running the query with other
values replaces that block. Types: id (a record id), number, date, text.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from graph_service.errors import ApiError
from graph_service.query_pages import question_page, questions_page, wants_html
from graph_service.sparql import Engine, SparqlSettings, answer, evaluate
from graph_service.sparql_engine import Dataset
from ingest.problems import suggestion
from ingest.vocab import DEFAULT_BASE, ROOT

QUERIES_DIR = ROOT / "queries"
_HEADER = re.compile(r"^#\s*(title|description):\s*(.*)$", re.M)
_PARAM = re.compile(r"^#\s*param:\s*(\w+)\s*\((id|number|date|text)\)\s*=\s*(\S+)\s*:\s*(.*)$", re.M)


class QueryError(ValueError):
    """A named query does not exist or was given a bad parameter."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str
    description: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    params: dict[str, Param]
    text: str

    def render(self, base: str, values: dict[str, str] | None = None, known_ids: Collection[str] | None = None) -> str:
        """The query for this deployment's base IRI, with parameters bound (defaults for the rest). With
        `known_ids`, an id parameter must be one of them: an unknown id would answer nothing, silently."""
        values = values or {}
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            raise QueryError(f"query '{self.name}' has no parameter {', '.join(map(repr, unknown))}; "
                             f"its parameters are: {', '.join(self.params) or 'none'}")
        text = self.text.replace(DEFAULT_BASE, base)
        for name, param in self.params.items():
            if name in values:
                bound = _term(param, values[name], base, known_ids)
                text = re.sub(rf"VALUES\s+\?{name}\s*\{{[^}}]*\}}", lambda _: f"VALUES ?{name} {{ {bound} }}", text)
        return text


def _term(param: Param, value: str, base: str, known_ids: Collection[str] | None) -> str:
    if param.type == "id":
        if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
            raise QueryError(f"parameter '{param.name}' is an id such as {param.default}, got {value!r}")
        if known_ids is not None and value not in known_ids:
            hint = suggestion(value, sorted(known_ids)) or f"; ids are the slugs in data/, such as {param.default}"
            raise QueryError(f"parameter '{param.name}': the graph has no record '{value}'{hint}")
        return f"<{base}id/{value}>"
    if param.type == "number":
        try:
            return repr(float(value))
        except ValueError:
            raise QueryError(f"parameter '{param.name}' is a number, got {value!r}") from None
    if param.type == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise QueryError(f"parameter '{param.name}' is a date as YYYY-MM-DD, got {value!r}")
        return f'"{value}"^^<http://www.w3.org/2001/XMLSchema#date>'
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header = dict(_HEADER.findall(text))
    params = {m[0]: Param(m[0], m[1], m[2], m[3].strip()) for m in _PARAM.findall(text)}
    return NamedQuery(path.stem, header.get("title", path.stem), header.get("description", ""), params, text)


def named_queries(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    return {q.name: q for q in map(parse, sorted(directory.glob("*.rq")))}


def queries_router(queries: dict[str, NamedQuery], base: str, engine: Engine, settings: SparqlSettings,
                   prefixes: dict[str, str], known_ids: Collection[str]) -> APIRouter:
    """GET /queries (the list) and GET /queries/NAME?param=value (run one, any SPARQL result format); a browser
    gets both as pages (query_pages)."""
    router = APIRouter()
    ids_in_order = sorted(known_ids)  # for the pages' id choices

    @router.get("/queries", summary="The named research questions", response_model=list[dict])
    def listing(request: Request, format: str | None = None) -> Response:
        if format not in (None, "json", "html"):
            raise ApiError(400, "Bad parameter", f"format '{format}' is not one of json, html for the list of queries")
        if wants_html(request.headers.get("accept", ""), format):
            return HTMLResponse(questions_page(queries))
        return JSONResponse([{"name": q.name, "title": q.title, "description": q.description, "url": f"/queries/{q.name}",
                              "params": [{"name": p.name, "type": p.type, "default": p.default, "description": p.description}
                                         for p in q.params.values()]} for q in queries.values()])

    @router.get("/queries/{name}", summary="Run a named research question")
    async def run_named(name: str, request: Request) -> Response:
        if name not in queries:
            raise ApiError(404, "No such query", f"there is no query '{name}'{suggestion(name, queries) or '.'} "
                           "GET /queries lists them")
        query, requested = queries[name], request.query_params.get("format")
        values = {k: v for k, v in request.query_params.items() if k != "format"}
        html = wants_html(request.headers.get("accept", ""), requested)
        try:
            text = query.render(base, values, known_ids)
        except QueryError as error:
            if html:
                page = question_page(query, values, prefixes, ids_in_order, error=str(error))
                return HTMLResponse(page, status_code=400)
            raise ApiError(400, "Bad parameter", str(error)) from None
        if not html:
            return await answer(engine, settings, text, Dataset(), request, requested)
        try:
            result = await evaluate(engine, settings, text, Dataset(), {})
        except ApiError as error:
            page = question_page(query, values, prefixes, ids_in_order, text, error=error.message)
            return HTMLResponse(page, status_code=error.status)
        return HTMLResponse(question_page(query, values, prefixes, ids_in_order, text, result))

    return router
