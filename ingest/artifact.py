"""The build artifact: the graph as sorted N-Triples plus a manifest.

The service loads only what a finished build wrote. The graph file is named by
its content hash and the manifest is replaced atomically last, so a reader sees
either the previous complete build or the new one, never half of one.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import RDF, Graph

from ingest.schema import Schema

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What a build holds: its file, hash, base IRI and counts."""

    graph_file: str
    sha256: str
    base: str
    triples: int
    counts: dict[str, int]


class ArtifactError(Exception):
    """The build directory holds no complete, intact build."""


def class_counts(graph: Graph, schema: Schema) -> dict[str, int]:
    """Records per class (the directory name), plus statements."""
    counts = {c.directory: len(set(graph.subjects(RDF.type, c.iri))) for c in schema.classes.values() if c.directory}
    counts["statements"] = len(set(graph.subjects(RDF.type, schema.cp.Statement)))
    return counts


def to_ntriples(graph: Graph) -> bytes:
    """Sorted N-Triples: the same graph always gives the same bytes."""
    lines = graph.serialize(format="nt", encoding="utf-8").splitlines()
    return b"\n".join(sorted(set(line for line in lines if line.strip()))) + b"\n"


def _atomic_write(path: Path, content: bytes) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.replace(tmp, path)


def write_artifact(graph: Graph, out_dir: Path, schema: Schema) -> Manifest:
    out_dir.mkdir(parents=True, exist_ok=True)
    content = to_ntriples(graph)
    digest = hashlib.sha256(content).hexdigest()
    graph_file = f"graph-{digest[:16]}.nt"
    _atomic_write(out_dir / graph_file, content)
    manifest = Manifest(graph_file, digest, schema.ns.base, content.count(b"\n"), class_counts(graph, schema))
    _atomic_write(out_dir / MANIFEST, json.dumps(asdict(manifest), indent=2).encode() + b"\n")
    for old in out_dir.glob("graph-*.nt"):
        if old.name != graph_file:
            old.unlink(missing_ok=True)
    return manifest


def read_manifest(out_dir: Path) -> Manifest:
    path = out_dir / MANIFEST
    if not path.exists():
        raise ArtifactError(f"{path} does not exist; run 'chokepoint build' first")
    return Manifest(**json.loads(path.read_text()))


def verified_graph_file(out_dir: Path) -> tuple[Path, Manifest]:
    """The graph file of the current build, after checking it is the one the manifest describes."""
    manifest = read_manifest(out_dir)
    path = out_dir / manifest.graph_file
    if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != manifest.sha256:
        raise ArtifactError(f"{path} is missing or does not match {out_dir / MANIFEST}; run 'chokepoint build' again")
    return path, manifest
