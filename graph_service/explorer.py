"""The browser explorers' assets, served from this machine so they work offline.

The GraphiQL page is strawberry's own, with its CDN URLs pointed at the copies
that `make` installs from the npm registry (graph_service/static/package.json,
the same versions and the same subresource-integrity hashes), and with
Chokepoint's example query ready to run. /docs is FastAPI's Swagger UI page on
the copy of swagger-ui-dist installed the same way.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import strawberry
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
VENDOR = STATIC / "node_modules"
VENDOR_URL = "/static/vendor/"

EXAMPLE_QUERY = """# Who controls the inputs to Llama 3 70B? Press the run button (or Ctrl-Enter).
# Every role comes with the path of facts that gives it, and every fact with its source.
{
  model(id: "llama-3-70b") {
    name
    controllers {
      actor { id name }
      roles
      paths { links { subject predicate object source } }
    }
  }
}
"""


def vendored() -> bool:
    return (VENDOR / "graphiql" / "graphiql.min.js").exists()


def mount_assets(app: FastAPI) -> None:
    """The vendored assets, and /docs on them (the app is made with docs_url=None)."""
    swagger = None
    if vendored():
        app.mount(VENDOR_URL, StaticFiles(directory=VENDOR), name="vendor")
        swagger = VENDOR_URL + "swagger-ui-dist/"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if swagger is None:  # no local copy: FastAPI's page as it comes, from its CDN
            return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} API")
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} API",
                                   swagger_js_url=swagger + "swagger-ui-bundle.js",
                                   swagger_css_url=swagger + "swagger-ui.css",
                                   swagger_favicon_url=swagger + "favicon-32x32.png")


def graphiql_html(example: str = EXAMPLE_QUERY) -> str:
    html = (Path(strawberry.__file__).parent / "static" / "graphiql.html").read_text()
    if vendored():
        for package in ("react", "react-dom", "js-cookie", "graphiql", "@graphiql/plugin-explorer"):
            html = _point_at_vendor(html, package)
    start = html.index("const EXAMPLE_QUERY = `")
    end = html.index("`;", start) + 2
    return html[:start] + f"const EXAMPLE_QUERY = {json.dumps(example)};" + html[end:]


def _point_at_vendor(html: str, package: str) -> str:
    """https://<cdn>/<package>@<version>/<file> -> /static/vendor/<package>/<file>."""
    return re.sub(rf'https://[^"/]+/{re.escape(package)}@[^/"]+/', VENDOR_URL + package + "/", html)
