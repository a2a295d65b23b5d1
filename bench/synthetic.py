"""Synthetic worlds with the shape of the curated data, at any size.

Records are generated as the YAML would give them and built by the real
builder, so statements, qualifiers and sources look exactly like data/'s.
Labs, models, clusters and datasets grow with the size; the supply chain
(chip designers, foundries, memory makers, governments) stays small, as in the
real world, so a model's controllers stay a bounded answer while the graph grows.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from ingest.artifact import Manifest, write_artifact
from ingest.build import build_graph
from ingest.records import Record
from ingest.schema import Schema, default_schema
from ingest.yaml_lines import LineDict, LineList

COUNTRIES = ["US", "CN", "FR", "GB", "TW", "KR", "NL", "JP", "AE", "DE"]


def _as_yaml(value):
    """Lists and mappings as the YAML loader returns them (with line bookkeeping)."""
    if isinstance(value, dict):
        result = LineDict({k: _as_yaml(v) for k, v in value.items()})
        result.line, result.lines = 1, dict.fromkeys(value, 1)
    elif isinstance(value, list):
        result = LineList(_as_yaml(v) for v in value)
        result.line, result.lines = 1, [1] * len(value)
    else:
        return value
    return result


def _record(schema: Schema, folder: str, fields: dict) -> Record:
    return Record(fields["id"], schema.by_directory(folder), _as_yaml(fields), f"synthetic/{folder}.yaml")


def synthetic_records(models: int, schema: Schema, seed: int = 7) -> list[Record]:
    rng = random.Random(seed)
    recs: list[Record] = []
    add = lambda folder, **f: recs.append(_record(schema, folder, {"source": "synthetic", **f}))  # noqa: E731
    recs.append(_record(schema, "sources", {"id": "synthetic", "title": "Synthetic benchmark data", "publisher": "bench"}))
    for c in COUNTRIES:
        add("actors", id=f"gov-{c.lower()}", name=f"Government {c}", kind="government", jurisdiction_over=[c])
    add("actors", id="litho", name="Litho", kind="company", headquartered_in="NL")
    for i in range(2):
        add("actors", id=f"foundry-{i}", name=f"Foundry {i}", kind="company", headquartered_in="TW", supplied_by="litho")
    for i in range(3):
        add("actors", id=f"memory-{i}", name=f"Memory {i}", kind="company", headquartered_in="KR", supplied_by="litho")
    for i in range(3):
        add("actors", id=f"designer-{i}", name=f"Designer {i}", kind="company", headquartered_in="US")
    chips = []
    for i in range(8):
        chips.append(f"chip-{i}")
        add("chips", id=f"chip-{i}", name=f"Chip {i}", designed_by=f"designer-{i % 3}", fabricated_by=f"foundry-{i % 2}",
            memory_supplied_by=[f"memory-{i % 3}", f"memory-{(i + 1) % 3}"], process_node_nm=4, bf16_tflops=900 + i)
    add("actors", id="gov-us-bis", name="Export agency", kind="government", subsidiary_of="gov-us",
        controls_export_of=[{"id": c, "from": dt.date(2022, 10, 7)} for c in chips[:4]])
    labs = max(1, models // 8)
    clouds = max(2, labs // 10)
    investors = max(3, labs // 5)
    for i in range(investors):
        add("actors", id=f"fund-{i}", name=f"Fund {i}", kind="investor", headquartered_in=rng.choice(COUNTRIES))
    for i in range(clouds):
        add("actors", id=f"cloud-{i}", name=f"Cloud {i}", kind="company", headquartered_in=rng.choice(COUNTRIES),
            owned_by=[{"id": f"fund-{rng.randrange(investors)}", "share": 0.1}])
        for j in range(3):
            add("clusters", id=f"cluster-{i}-{j}", name=f"Cluster {i}-{j}", owned_by=f"cloud-{i}", operated_by=f"cloud-{i}",
                located_in=rng.choice(COUNTRIES), chips=[{"id": rng.choice(chips), "count": rng.randrange(1000, 100000)}],
                power_mw=rng.randrange(10, 500), status="existing")
    add("actors", id="crawler", name="Crawler", kind="lab", headquartered_in="US")
    add("datasets", id="crawl", name="Crawl", curated_by="crawler")
    add("licenses", id="open", name="Open licence", issued_by="crawler", osi_approved=True)
    for i in range(labs):
        lab = f"lab-{i}"
        add("actors", id=lab, name=f"Lab {i}", kind="company", headquartered_in=rng.choice(COUNTRIES),
            owned_by=[{"id": f"fund-{rng.randrange(investors)}", "share": 0.3, "from": dt.date(2020, 1, 1)}],
            funded_by=[{"id": f"cloud-{rng.randrange(clouds)}", "amount": 1e9, "date": dt.date(2023, 1, 1)}])
        add("datasets", id=f"data-{i}", name=f"Data {i}", curated_by=lab, derived_from="crawl")
        add("licenses", id=f"licence-{i}", name=f"Licence {i}", issued_by=lab)
        for j in range(models // labs):
            base = {"base_model": {"id": f"model-{i}-{j - 1}", "method": "fine-tune"}} if j % 2 else {}
            add("models", id=f"model-{i}-{j}", name=f"Model {i}-{j}", developed_by=lab, released=dt.date(2024, 1, 1),
                parameters=7e10, open_weights=True, license=f"licence-{i}", trained_on=[f"data-{i}"],
                trained_at=f"cluster-{rng.randrange(clouds)}-{rng.randrange(3)}",
                trained_with=[{"id": rng.choice(chips), "count": 2048}], **base)
    return recs


def build_synthetic(models: int, out: Path, schema: Schema | None = None) -> Manifest:
    """Write a synthetic build artifact (no SHACL: the generator's records are valid by construction)."""
    schema = schema or default_schema()
    records = synthetic_records(models, schema)
    index = {r.id: r for r in records}
    built = build_graph(records, index, schema)
    if built.problems:
        raise ValueError("\n".join(map(str, built.problems[:10])))
    built.graph += schema.ontology
    return write_artifact(built.graph, out, schema)


if __name__ == "__main__":
    import sys
    import time
    start = time.perf_counter()
    manifest = build_synthetic(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"{manifest.triples:,} triples in {time.perf_counter() - start:.1f} s")
