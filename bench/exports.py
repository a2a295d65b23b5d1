"""Benchmark: every export format, for the whole curated graph and a synthetic ~10^6-triple graph.

Run with `.venv/bin/python -m bench.exports [--models N] [--formats ...]`. Builds data/ (or takes
--build DIR) and a synthetic world of N models (15,000 is about 10^6 triples; building it takes a
minute or two), loads each, and prints the time of each export and its size.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.synthetic import build_synthetic
from graph_service import analytics
from graph_service.exports import EXPORTERS, export
from graph_service.projection import Projection
from graph_service.store import GraphStore
from ingest.artifact import write_artifact
from ingest.pipeline import check
from ingest.schema import default_schema
from ingest.vocab import ROOT


def measure(name: str, build: Path, formats: list[str], table: Table) -> None:
    graph = GraphStore.from_build(build)
    projection = Projection.load(graph, default_schema())
    start = time.perf_counter()
    analytics.centrality(projection)  # computed once per loaded graph, then shared by every export
    table.add_row(name, f"{graph.manifest.triples:,}", "centrality (once)", f"{time.perf_counter() - start:.3f}", "")
    for fmt in formats:
        start = time.perf_counter()
        body = export(projection, graph, fmt)
        table.add_row(name, f"{graph.manifest.triples:,}", fmt, f"{time.perf_counter() - start:.3f}", f"{len(body):,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=15000, help="models in the synthetic world (0 to skip it)")
    parser.add_argument("--build", type=Path, help="an existing build of the curated data (default: build data/ now)")
    parser.add_argument("--formats", nargs="*", default=list(EXPORTERS), help="formats to time")
    args = parser.parse_args()
    table = Table(title="Export times (seconds, one run each)")
    for column in ("graph", "triples", "format", "seconds", "bytes"):
        table.add_column(column, justify="left" if column in ("graph", "format") else "right")
    with tempfile.TemporaryDirectory() as tmp:
        curated = args.build
        if curated is None:
            built = check(ROOT / "data")
            if built.problems:
                raise SystemExit(f"data/ does not validate ({len(built.problems)} problems); pass --build DIR")
            curated = Path(tmp) / "curated"
            write_artifact(built.graph, curated, default_schema())
        measure("curated", curated, args.formats, table)
        if args.models:
            synthetic = Path(tmp) / "synthetic"
            start = time.perf_counter()
            build_synthetic(args.models, synthetic)
            Console(stderr=True).print(f"synthetic world of {args.models} models built in {time.perf_counter() - start:.0f} s")
            measure(f"synthetic {args.models}", synthetic, args.formats, table)
    Console().print(table)


if __name__ == "__main__":
    main()
