"""Benchmark: the research queries on three SPARQL endpoints holding the same graph, and on three embedded stores.

Run with `make bench-sparql` (or `.venv/bin/python -m bench.sparql [--graph real|1e4|1e5]`).

Over HTTP, side by side in one run: Chokepoint's /sparql, a plain Oxigraph
server (the `oxigraph` package's binary) and an rdflib-endpoint server, all on
loopback, each asked every named query (with its defaults) `--runs` times; the
median latency of each and the ratios. Chokepoint and Oxigraph run at the same
time and are asked in turns, four rounds per query, so drift on a shared
machine weighs on both alike; rdflib-endpoint, far slower, runs after them.
In process, the same queries on the stores Chokepoint could embed: pyoxigraph
directly, rdflib on Oxigraph (oxrdflib), and rdflib's memory store with its
own SPARQL engine. A query that takes longer than `--limit` seconds is stopped
and shown as >limit.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.synthetic import build_synthetic
from graph_service.named_queries import named_queries
from ingest.artifact import verified_graph_file, write_artifact
from ingest.pipeline import load_data
from ingest.schema import default_schema
from ingest.vocab import ROOT
from tests.servers import BIN, chokepoint_server, free_port, oxigraph_server, running

STORES = {
    "pyoxigraph": "import pyoxigraph as ox; s = ox.Store(); s.bulk_load(path=FILE, format=ox.RdfFormat.N_TRIPLES); run = lambda q: (lambda r: bool(r) if isinstance(r, ox.QueryBoolean) else list(r))(s.query(q))",
    "oxrdflib": "import rdflib; g = rdflib.Graph(store='Oxigraph'); g.parse(FILE, format='nt'); run = lambda q: list(g.query(q))",
    "rdflib-memory": "import rdflib; g = rdflib.Graph(); g.parse(FILE, format='nt'); run = lambda q: list(g.query(q))",
}


def build(graph: str, out: Path) -> Path:
    schema = default_schema()
    if graph == "real":
        write_artifact(load_data(ROOT / "data", schema), out, schema)
    else:
        build_synthetic({"1e4": 150, "1e5": 1500}[graph], out, schema)
    return verified_graph_file(out)[0]


def time_http(url: str, query: str, runs: int, limit: float, form: bool = False) -> float | str | None:
    """Median seconds of `runs` POSTs of the query (None if one exceeds the limit, "error N" if it fails)."""
    times = []
    with httpx.Client(timeout=limit) as client:
        for _ in range(runs + 1):
            start = time.perf_counter()
            try:
                if form:
                    response = client.post(url, data={"query": query}, headers={"Accept": "application/sparql-results+json"})
                else:
                    response = client.post(url, content=query, headers={"Content-Type": "application/sparql-query",
                                                                         "Accept": "application/sparql-results+json"})
            except httpx.TimeoutException:
                return None
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                return f"error {response.status_code}"
            if times[-1] > limit / 4:
                break  # slow enough that more runs would not change the picture
    return statistics.median(times[1:] or times)


def interleaved(urls: dict[str, str], query: str, runs: int, limit: float, rounds: int = 4) -> dict[str, float | str | None]:
    """Median seconds per server, asked in turns (`rounds` rounds of runs/rounds POSTs each), so that the
    machine's drift during the run weighs on every server alike."""
    medians: dict[str, list[float | str | None]] = {server: [] for server in urls}
    for _ in range(rounds):
        for server, url in urls.items():
            medians[server].append(time_http(url, query, max(runs // rounds, 1), limit))
    return {server: statistics.median(values) if all(isinstance(v, float) for v in values)
            else next(v for v in values if not isinstance(v, float)) for server, values in medians.items()}


def time_store(store: str, nt_file: Path, queries: dict[str, str], runs: int, limit: float) -> dict[str, float | None]:
    """Median seconds per query on one embedded store, each store in its own process so a slow query can be stopped."""
    results: dict[str, float | None] = {}
    for name, query in queries.items():
        script = (f"import time, statistics, sys\nFILE = {str(nt_file)!r}\n{STORES[store]}\nq = sys.stdin.read()\nrun(q)\n"
                  f"t = []\nfor _ in range({runs}):\n    t0 = time.perf_counter(); run(q); t.append(time.perf_counter() - t0)\n"
                  "print(statistics.median(t))")
        try:
            out = subprocess.run([sys.executable, "-c", script], input=query, capture_output=True, text=True,
                                 timeout=limit + 30, cwd=ROOT)
            results[name] = float(out.stdout.strip()) if out.returncode == 0 else None
        except subprocess.TimeoutExpired:
            results[name] = None
    return results


def shown(seconds: float | str | None, limit: float) -> str:
    if isinstance(seconds, str):
        return seconds
    return f">{limit:g} s" if seconds is None else f"{seconds * 1e3:.2f}"


def ratio(a: float | str | None, b: float | str | None) -> str:
    return f"{a / b:.2f}" if isinstance(a, float) and isinstance(b, float) else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", default="real", choices=["real", "1e4", "1e5"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds after which a query is stopped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        nt_file = build(args.graph, Path(tmp) / "build")
        base = default_schema().ns.base
        # ASK {} does no work: its time is what each server costs per request, whatever the query.
        queries = {"ASK {} (per-request cost)": "ASK {}"} | {name: q.render(base) for name, q in named_queries().items()}
        http: dict[str, dict[str, float | str | None]] = {"chokepoint": {}, "oxigraph": {}}
        with chokepoint_server(nt_file.parent) as ours, oxigraph_server(nt_file) as oxigraph:
            urls = {"chokepoint": ours + "/sparql", "oxigraph": oxigraph + "/query"}
            for name, query in queries.items():
                for server, seconds in interleaved(urls, query, args.runs, args.limit).items():
                    http[server][name] = seconds
        port = free_port()
        with running([str(BIN / "rdflib-endpoint"), "serve", str(nt_file), "--host", "127.0.0.1", "--port", str(port)],
                     f"http://127.0.0.1:{port}/?query=ASK%7B%7D"):
            http["rdflib-endpoint"] = {n: time_http(f"http://127.0.0.1:{port}/", q, args.runs, args.limit, form=True)
                                       for n, q in queries.items()}
        stores = {store: time_store(store, nt_file, queries, args.runs, args.limit) for store in STORES}
        triples = sum(1 for _ in nt_file.open())
    print(f"research queries on the {args.graph} graph ({triples:,} triples); median ms of {args.runs} runs")
    print(f"\nover HTTP (POST, JSON results, loopback)")
    print(f"{'query':<32} {'chokepoint':>11} {'oxigraph':>10} {'rdflib-ep':>10} | {'ours/oxi':>8} {'rdflib/ours':>11}")
    for name in queries:
        c, o, r = (http[k][name] for k in ("chokepoint", "oxigraph", "rdflib-endpoint"))
        print(f"{name:<32} {shown(c, args.limit):>11} {shown(o, args.limit):>10} {shown(r, args.limit):>10} | "
              f"{ratio(c, o):>8} {ratio(r, c):>11}")
    print(f"\nin process (the embedded store)")
    print(f"{'query':<32} {'pyoxigraph':>11} {'oxrdflib':>10} {'rdflib-mem':>10}")
    for name in queries:
        print(f"{name:<32} " + " ".join(f"{shown(stores[s][name], args.limit):>{w}}" for s, w in
                                        zip(STORES, (11, 10, 10))))


if __name__ == "__main__":
    main()
