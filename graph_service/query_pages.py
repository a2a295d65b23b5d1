"""The research questions as web pages, for readers with a browser rather than a SPARQL client.

A browser (text/html first in its Accept header) or `format=html` gets, for
/queries, the list of questions, and for /queries/NAME, the question with its
parameters as a form, the answer as a table, the same answer to download in
each results format, and the SPARQL text that runs as is in any client. Every
other client gets JSON and SPARQL results, as before. The pages load nothing
from elsewhere.
"""
from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from graph_service.sparql_engine import Boolean, Result, Solutions, Term, Triples
from graph_service.sparql_results import GRAPH_FORMATS, SOLUTION_FORMATS, by_preference, kind_of

if TYPE_CHECKING:  # named_queries serves these pages
    from graph_service.named_queries import NamedQuery

STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:76rem;margin:1.5rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;font-size:13px;
text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
pre{background:#f6f6f6;padding:.75rem;overflow:auto;font-size:12px}.error{color:#a00;font-weight:600}
label{display:block;margin:.3rem 0}input{font:inherit;width:20rem}small{color:#555}"""
NUMERIC = {"http://www.w3.org/2001/XMLSchema#" + t for t in ("integer", "decimal", "double", "float")}


def wants_html(accept: str, requested: str | None) -> bool:
    """`format=html`, or no `format` and a client that prefers text/html (a browser)."""
    if requested:
        return requested == "html"
    preferred = by_preference(accept)
    return bool(preferred) and preferred[0] == "text/html"


def _prose(text: str) -> str:
    """A header's text as HTML: escaped, with `code` spans as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} · Chokepoint</title>'
            f'<style>{STYLE}</style></head><body><p><a href="/">Chokepoint</a> · <a href="/queries">research questions</a>'
            f' · <a href="/sparql">SPARQL</a></p>{body}</body></html>')


def questions_page(queries: dict[str, NamedQuery]) -> str:
    """Every named question, with its parameters and a link that runs it with the defaults."""
    items = "".join(
        f'<li><a href="/queries/{escape(q.name)}"><b>{escape(q.title)}</b></a> <small>({escape(q.name)})</small>'
        f'<br>{_prose(q.description)}'
        + "".join(f'<br><small>parameter <code>{escape(p.name)}</code> ({p.type}, default <code>{escape(p.default)}</code>):'
                  f' {_prose(p.description)}</small>' for p in q.params.values())
        + "</li>" for q in queries.values())
    return _page("Research questions", f"<h1>Research questions</h1><p>Each runs as a named SPARQL query: here, from "
                 f"<code>chokepoint query NAME</code>, or as the <code>.rq</code> file in any SPARQL client. "
                 f'<a href="/queries?format=json">This list as JSON</a>.</p><ol>{items}</ol>')


def question_page(query: NamedQuery, values: dict[str, str], prefixes: dict[str, str], ids: list[str],
                  text: str | None = None, result: Result | None = None, error: str | None = None) -> str:
    """One question: its form (id parameters offer the graph's `ids`, in order), then its answer (`result`), or what was
    wrong (`error`)."""
    current = {name: values.get(name, p.default) for name, p in query.params.items()}
    fields = "".join(f'<label><code>{escape(name)}</code> <input name="{escape(name)}" value="{escape(current[name])}"'
                     f'{" list=ids" if p.type == "id" else ""}> <small>{escape(p.type)}: {_prose(p.description)}</small>'
                     "</label>" for name, p in query.params.items())
    choices = "".join(f'<option value="{escape(i)}">' for i in ids)
    form = (f'<form method="get" action="/queries/{escape(query.name)}">{fields}<button type="submit">Run</button>'
            f'<datalist id="ids">{choices}</datalist></form>' if query.params else "")
    if error is not None:
        answer = f'<p class="error">{escape(error)}</p>'
    else:
        formats = GRAPH_FORMATS if kind_of(result) == "graph" else SOLUTION_FORMATS
        downloads = " · ".join(f'<a href="/queries/{escape(query.name)}?{escape(urlencode(current | {"format": f.name}))}">'
                               f"{f.name.upper()}</a>" for f in formats)
        answer = f"{_table(result, prefixes)}<p>Download this answer: {downloads}</p>"
    sparql = (f"<h2>The query</h2><p>As run, with the parameters bound; it runs as is in any SPARQL 1.1 client, "
              f"or POSTed to <a href=\"/sparql\">/sparql</a>.</p><pre>{escape(text)}</pre>") if text else ""
    return _page(query.title, f"<h1>{escape(query.title)}</h1><p>{_prose(query.description)}</p>{form}"
                 f"<h2>Answer</h2>{answer}{sparql}")


def _table(result: Result | None, prefixes: dict[str, str]) -> str:
    if isinstance(result, Boolean):
        return f"<p>{'Yes' if result.value else 'No'}.</p>"
    if isinstance(result, Triples):
        header = ["subject", "predicate", "object"]
        rows = [dict(zip(header, triple)) for triple in result.triples]
    elif isinstance(result, Solutions):
        header, rows = result.variables, result.rows
    else:
        return ""
    head = "".join(f"<th>{escape(v)}</th>" for v in header)
    body = "".join("<tr>" + "".join(_cell(row.get(v), prefixes) for v in header) + "</tr>" for row in rows)
    count = f"{len(rows):,} row{'s' if len(rows) != 1 else ''}"
    if result.truncated:
        count += f", cut at the endpoint's cap of {len(rows):,}: narrow the query to see the rest"
    return f"<p>{count}.</p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(term: Term | None, prefixes: dict[str, str]) -> str:
    if term is None:
        return "<td></td>"
    if term[0] == "uri":
        return f'<td title="{escape(term[1])}">{escape(_short(term[1], prefixes))}</td>'
    if term[0] == "bnode":
        return f"<td>_:{escape(term[1])}</td>"
    if term[2] in NUMERIC:
        return f'<td class=n title="{escape(term[1])}">{escape(_readable(term[1]))}</td>'
    return f"<td>{escape(term[1])}</td>"


def _readable(lexical: str) -> str:
    """A number as a reader takes it in (the cell's title and the downloads keep every digit)."""
    try:
        x = float(lexical)
    except ValueError:
        return lexical
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 1e9 or (x != 0 and abs(x) < 1e-4):
        return f"{x:.3g}"
    return f"{x:,.2f}" if abs(x) >= 100 else f"{x:.4g}"


def _short(iri: str, prefixes: dict[str, str]) -> str:
    """The IRI as prefix:name with the longest matching prefix, or whole."""
    best = max((p for p, ns in prefixes.items() if iri.startswith(ns)), key=lambda p: len(prefixes[p]), default=None)
    return f"{best}:{iri[len(prefixes[best]):]}" if best else iri
