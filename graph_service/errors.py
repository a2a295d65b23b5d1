"""One error shape for every REST, SPARQL and export error (GraphQL keeps the spec's `errors` list).

    {"ok": false, "status": 400, "title": "Malformed query", "error": "the query does not parse: ..."}
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


class ApiError(Exception):
    """An error for the client: an HTTP status, a short title and a message saying what would be right."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def error_response(status: int, title: str, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "status": status, "title": title, "error": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.title, error.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed"}
        return error_response(error.status_code, titles.get(error.status_code, "Error"), str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return error_response(400, "Bad request", detail)
