"""The graph a running service answers from: an embedded Oxigraph store.

Loaded once from a verified build artifact; requests only read it. rdflib's own
SPARQL engine never runs on a request path (it is orders of magnitude slower on
property paths).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ingest.artifact import Manifest, verified_graph_file


@dataclass
class GraphStore:
    """A loaded, read-only graph and the manifest of the build it came from."""

    store: ox.Store
    manifest: Manifest
    path: Path

    @classmethod
    def from_build(cls, build_dir: Path) -> "GraphStore":
        path, manifest = verified_graph_file(build_dir)
        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
        return cls(store, manifest, path)

    def select(self, sparql: str) -> list[dict[str, ox.Term]]:
        """Rows of a SELECT query, each a dict of variable name to term."""
        results = self.store.query(sparql)
        names = [v.value for v in results.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in results]

    def record_ids(self) -> frozenset[str]:
        """The ids of the graph's records (`llama-3-70b`), to check a reference before asking about it."""
        ids = self.manifest.base + "id/"
        rows = self.store.query(f"SELECT DISTINCT ?e WHERE {{ ?e a ?class FILTER(STRSTARTS(STR(?e), '{ids}')) }}")
        return frozenset(row["e"].value[len(ids):] for row in rows)
