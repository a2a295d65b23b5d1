"""Facts computed at build time from other facts, so every query and analysis uses one figure.

A cluster's compute in H100-equivalents is its recorded `h100_equivalents`
where a source gives one; otherwise the sum over its chips of
count x dense BF16 TFLOPS / the H100's dense BF16 TFLOPS. Derived values are
statements like any other, marked as estimates, citing the
`chokepoint-derivation` source, with the computation in their note.
"""
from __future__ import annotations

import hashlib

from rdflib import RDF, SKOS, Graph, Literal, URIRef
from rdflib.namespace import XSD

from ingest.schema import Schema
from ingest.vocab import PROV

REFERENCE_CHIP = "nvidia-h100"
DERIVATION_SOURCE = "chokepoint-derivation"


def _count(graph: Graph, cp, cluster: URIRef, chip: URIRef) -> int | None:
    for st in graph.subjects(RDF.subject, cluster):
        if graph.value(st, RDF.predicate) == cp.hasChip and graph.value(st, RDF.object) == chip:
            count = graph.value(st, cp["count"])  # not cp.count: namespaces are str, and str has .count
            if count is not None:
                return int(count)
    return None


def derive_h100_equivalents(graph: Graph, schema: Schema) -> int:
    """Add derived H100-equivalents to clusters that have none; return how many were added."""
    cp, ids = schema.cp, schema.ns.id
    reference = graph.value(ids[REFERENCE_CHIP], cp.bf16Tflops)
    source = schema.ns.source[DERIVATION_SOURCE]
    if reference is None or (source, RDF.type, cp.Source) not in graph:
        return 0
    added = 0
    for cluster in sorted(graph.subjects(RDF.type, cp.ComputeCluster)):
        if graph.value(cluster, cp.h100Equivalents) is not None:
            continue
        parts, total = [], 0.0
        for chip in sorted(graph.objects(cluster, cp.hasChip)):
            count, tflops = _count(graph, cp, cluster, chip), graph.value(chip, cp.bf16Tflops)
            if count is None or tflops is None:
                parts = []
                break
            total += count * float(tflops) / float(reference)
            parts.append(f"{count} x {str(chip).rsplit('/', 1)[-1]} ({float(tflops):g} TFLOPS)")
        if not parts:
            continue
        value = Literal(f"{total:.0f}", datatype=XSD.decimal)
        note = f"derived: ({' + '.join(parts)}) / {float(reference):g} TFLOPS of {REFERENCE_CHIP}, dense BF16 peak"
        statement = schema.ns.statement[hashlib.sha1(f"derived|{cluster}|{value}".encode()).hexdigest()[:20]]
        for triple in [(cluster, cp.h100Equivalents, value), (statement, RDF.type, cp.Statement),
                       (statement, RDF.subject, cluster), (statement, RDF.predicate, cp.h100Equivalents),
                       (statement, RDF.object, value), (statement, PROV.wasDerivedFrom, source),
                       (statement, cp.isEstimate, Literal(True)), (statement, SKOS.note, Literal(note))]:
            graph.add(triple)
        added += 1
    return added
