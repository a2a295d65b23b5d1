"""How complete the graph is: per class and field, the share of records that have a value and a source for it."""
from __future__ import annotations

from dataclasses import dataclass

from graph_service.projection import Projection

IDENTITY = {"name", "aliases", "description", "homepage"}  # identify a record; not facts to count


@dataclass(frozen=True)
class FieldCoverage:
    cls: str
    key: str
    records: int
    filled: float   # share of the class's records with at least one value
    sourced: float  # share with at least one value whose statement cites a source


def field_coverage(projection: Projection) -> list[FieldCoverage]:
    rows = []
    for spec in projection.schema.classes.values():
        ids = [e.id for e in projection.entities.values() if e.cls == spec.name]
        if not ids:
            continue
        for key in spec.properties:
            if key in IDENTITY:
                continue
            if key == "wikidata":
                filled = sum(1 for i in ids if projection.entities[i].wikidata)
                sourced = sum(1 for i in ids if projection.entities[i].wikidata and projection.entities[i].source)
            else:
                facts = [projection.out(i, key) for i in ids]
                filled = sum(1 for f in facts if f)
                sourced = sum(1 for f in facts if any(x.source for x in f))
            rows.append(FieldCoverage(spec.name, key, len(ids), filled / len(ids), sourced / len(ids)))
    return rows
