"""Benchmark: where /sparql spends its fixed cost per request, measured on `ASK {}` (a query that does no work).

Run with `make bench-sparql-overhead` (or `.venv/bin/python -m bench.sparql_overhead [--rounds 5] [--query NAME]`).

Four servers on loopback hold the same build, each asked `ASK {}` (or, with
--query, a named research query with its defaults) over one keep-alive
connection, in interleaved rounds; the median of the rounds' median ms:

- uvicorn, constant answer: a bare ASGI app on the server the service runs on,
  answering the right bytes (computed at the first request) without asking
  anyone: the floor of that server;
- uvicorn + worker: the same bare app asking the embedded engine's worker
  process every time (the hop that lets a query past its deadline be stopped,
  which the service pays on a query's first run, and on every run of a query
  slower than 10 ms);
- chokepoint: the service's `/sparql` (after the first request, the query is
  proven fast and runs in the service's own process);
- oxigraph: `oxigraph serve`.

The steps between rows are what each layer costs per request. Then, in
process, what the endpoint's safety check costs on each named query.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import timeit
from contextlib import ExitStack
from pathlib import Path

from bench.sparql import interleaved
from graph_service.named_queries import named_queries
from ingest.artifact import verified_graph_file
from ingest.schema import default_schema
from ingest.vocab import ROOT
from tests.servers import free_port, oxigraph_server, wait_for

ASK = "ASK {}"
MODES = ("uvicorn, constant answer", "uvicorn + worker", "chokepoint")


def serve(mode: str, build: Path, port: int) -> None:
    """One of MODES on 127.0.0.1:port (run in its own process)."""
    import pyoxigraph as ox
    import uvicorn

    from graph_service.sparql_engine import Dataset, EmbeddedEngine
    from graph_service.sparql_results import negotiate, serialize

    if mode == "chokepoint":
        from graph_service.app import create_app
        from graph_service.store import GraphStore
        uvicorn.run(create_app(GraphStore.from_build(build)), host="127.0.0.1", port=port, log_level="warning")
        return
    graph_file = verified_graph_file(build)[0]
    engine = EmbeddedEngine(graph_file, "urn:graph") if mode == "uvicorn + worker" else None
    store = ox.Store()
    if engine is None:  # the constant answers are computed once, at a query's first request
        store.bulk_load(path=str(graph_file), format=ox.RdfFormat.N_TRIPLES)
    answers: dict[str, bytes] = {}

    def constant(query: str) -> bytes:
        if query not in answers:
            answers[query] = store.query(query).serialize(format=ox.QueryResultsFormat.JSON)
        return answers[query]

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = body.decode() or ASK
        if engine is None:
            answer = constant(query)
        else:
            result = await engine.run_async(query, 5.0, 10_000, Dataset(), {"solutions": "json"})
            answer = serialize(result, negotiate("application/sparql-results+json", None).format_for(result))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/sparql-results+json")]})
        await send({"type": "http.response.body", "body": answer})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def start(stack: ExitStack, mode: str, build: Path) -> str:
    port = free_port()
    command = [sys.executable, "-m", "bench.sparql_overhead", "serve", mode, str(build), str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    stack.callback(lambda: (process.terminate(), process.wait()))
    url = f"http://127.0.0.1:{port}" + ("/sparql" if mode == "chokepoint" else "/")
    wait_for(url + "?query=ASK%7B%7D", process)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="bench", choices=["bench", "serve"])
    parser.add_argument("serve_args", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--build", type=Path, default=ROOT / "build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200, help="requests per server per round")
    parser.add_argument("--query", help="a named query (with its defaults) instead of ASK {}")
    args = parser.parse_args()
    if args.command == "serve":
        mode, build, port = args.serve_args
        return serve(mode, Path(build), int(port))
    query = named_queries()[args.query].render(default_schema().ns.base) if args.query else ASK
    with ExitStack() as stack:
        urls = {mode: start(stack, mode, args.build) for mode in MODES}
        urls["oxigraph"] = stack.enter_context(oxigraph_server(verified_graph_file(args.build)[0])) + "/query"
        medians = interleaved(urls, query, args.runs * args.rounds, 30.0, rounds=args.rounds)
    floor = medians["oxigraph"]
    print(f"{args.query or 'ASK {}'} over HTTP (loopback, keep-alive); median ms of {args.rounds} rounds of {args.runs} requests")
    print(f"{'server':<26} {'ms':>6} {'/ oxigraph':>10}")
    for name, ms in medians.items():
        print(f"{name:<26} {ms * 1e3:>6.2f} {ms / floor:>10.2f}")
    print_safety_check_cost()


def print_safety_check_cost(repeat: int = 2000) -> None:
    """The endpoint's own per-query work before the engine: the safety check, which reads the whole query text."""
    from graph_service.sparql import check_safe
    from graph_service.sparql_engine import Dataset

    base = default_schema().ns.base
    print(f"\nthe safety check (sparql.check_safe), in process; µs per call, best of 3 x {repeat}")
    for name, named in named_queries().items():
        text = named.render(base)
        best = min(timeit.repeat(lambda: check_safe(text, Dataset(), base + "graph"), number=repeat, repeat=3)) / repeat
        print(f"{name:<30} {len(text):>5} chars {best * 1e6:>7.1f}")


if __name__ == "__main__":
    main()
