"""Benchmark: the `controllers` GraphQL query over HTTP against a constant-answer floor route.

Run with `make bench` (or `.venv/bin/python -m bench.controllers [--sizes ...]`).
For the real data and synthetic worlds of about 10^4, 10^5 and 10^6 triples it
starts the service on loopback, then sends the same number of requests to
/graphql and to /floor, interleaved so both see the same machine noise, one at
a time over a keep-alive connection. Prints median and p99 latency, requests
per second, and the ratio to the floor.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import QUERY
from bench.synthetic import build_synthetic
from ingest.artifact import write_artifact
from ingest.pipeline import load_data
from ingest.schema import default_schema
from ingest.vocab import ROOT

SIZES = {"1e4": 150, "1e5": 1500, "1e6": 15000}  # models per synthetic world, for ~10^4, 10^5, 10^6 triples


def serve(build: Path, port: int, model: str, cache_size: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.server", str(build), str(port), model, str(cache_size)],
                            stdout=subprocess.PIPE, cwd=ROOT, text=True)
    answer_bytes = json.loads(proc.stdout.readline())["answer_bytes"]
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc, answer_bytes
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def measure(port: int, model: str, requests: int) -> dict[str, list[float]]:
    body = {"query": QUERY % model}
    timings: dict[str, list[float]] = {"/graphql": [], "/floor": []}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for _ in range(20):  # warm up both routes
            client.post("/graphql", json=body), client.post("/floor", json=body)
        for _ in range(requests):
            for route, times in timings.items():
                start = time.perf_counter()
                response = client.post(route, json=body)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200
    return timings


def summary(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1e3, ordered[int(len(ordered) * 0.99) - 1] * 1e3, len(times) / sum(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["real", *SIZES], help="real and/or 1e4 1e5 1e6")
    parser.add_argument("--requests", type=int, default=300, help="requests per route and size")
    parser.add_argument("--model", default="llama-3-70b", help="model of the real data to ask about")
    args = parser.parse_args()
    schema = default_schema()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            out = Path(tmp) / size
            if size == "real":
                manifest, model = write_artifact(load_data(ROOT / "data", schema), out, schema), args.model
            else:
                manifest, model = build_synthetic(SIZES[size], out, schema), "model-3-1"
            for mode, cache_size in (("cold", 0), ("cached", 512)):
                proc, answer_bytes = serve(out, 8765, model, cache_size)
                try:
                    timings = measure(8765, model, args.requests)
                finally:
                    proc.terminate()
                    proc.wait()
                q, f = summary(timings["/graphql"]), summary(timings["/floor"])
                rows.append((size, mode, manifest.triples, answer_bytes, *q, *f, q[0] / f[0]))
            print(f"done {size}", file=sys.stderr)
    print(f"controllers query over HTTP, {args.requests} requests per route, one client, keep-alive")
    print("cold: every request parsed, validated and executed; cached: the answer cache of a served build")
    print(f"{'graph':>6} {'mode':>6} {'triples':>10} {'answer B':>9} | {'median ms':>9} {'p99 ms':>7} {'req/s':>7} | "
          f"{'floor med':>9} {'p99 ms':>7} {'req/s':>7} | {'ratio':>5}")
    for size, mode, triples, answer, qm, qp, qr, fm, fp, fr, ratio in rows:
        print(f"{size:>6} {mode:>6} {triples:>10,} {answer:>9,} | {qm:>9.2f} {qp:>7.2f} {qr:>7.0f} | "
              f"{fm:>9.2f} {fp:>7.2f} {fr:>7.0f} | {ratio:>5.2f}")


if __name__ == "__main__":
    main()
