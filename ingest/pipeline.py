"""data/ in, a validated graph out: the one path every command takes."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from rdflib import Graph

from ingest.build import Built, build_graph
from ingest.derive import derive_h100_equivalents
from ingest.problems import InvalidData, Problem
from ingest.records import Record, index_records, read_records
from ingest.schema import Schema, default_schema
from ingest.shacl import shacl_problems
from ingest.lookalikes import lookalike_problems, same_item_problems


def check(data_dir: Path, schema: Schema | None = None, stage: Callable[[str], None] = lambda _: None) -> Built:
    """Build the graph from data_dir and collect every problem; never raises for bad data.

    `stage` is told the name of each step as it starts, for progress displays.
    """
    schema = schema or default_schema()
    stage("reading YAML")
    records, problems = read_records(data_dir, schema)
    index, duplicates = index_records(records)
    stage("building RDF")
    built = build_graph(records, index, schema)
    built.problems = problems + duplicates + built.problems + lookalike_problems(records) + same_item_problems(records)
    if not built.problems:
        derive_h100_equivalents(built.graph, schema)
    built.graph += schema.ontology
    stage("SHACL validation")
    built.problems += shacl_problems(built.graph, built.origins, schema, built.faulty)
    built.problems = sorted(set(built.problems))
    return built


def load_data(data_dir: Path, schema: Schema | None = None) -> Graph:
    """The validated graph of data_dir, or InvalidData with every problem found."""
    built = check(data_dir, schema)
    if built.problems:
        raise InvalidData(built.problems)
    return built.graph


__all__ = ["Problem", "Record", "check", "load_data"]
