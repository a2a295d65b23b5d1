"""Docs that cannot go stale: every ontology term is explained, every data key is documented."""
from __future__ import annotations

from rdflib import OWL, RDF, RDFS

from ingest.schema import default_schema
from tests.conftest import ROOT


def test_every_ontology_term_has_a_label_and_a_comment() -> None:
    schema = default_schema()
    g, cp = schema.ontology, str(schema.cp)
    terms = {s for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty) for s in g.subjects(RDF.type, t)
             if str(s).startswith(cp)}
    undocumented = sorted(str(t) for t in terms if not g.value(t, RDFS.label) or not g.value(t, RDFS.comment))
    assert undocumented == []


def test_every_data_key_is_in_the_data_readme() -> None:
    schema = default_schema()
    readme = (ROOT / "data" / "README.md").read_text()
    keys = {p.key for c in schema.classes.values() for p in c.properties.values()} | set(schema.qualifiers) | set(schema.kinds)
    assert sorted(k for k in keys if f"`{k}`" not in readme) == []
