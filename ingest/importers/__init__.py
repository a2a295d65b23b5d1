"""Importers: public datasets researchers already hold, joined to the curated graph.

Each importer reads its dataset, merges what matches existing records (curated
wins; differences are reported as conflicts), and writes the rest to generated
files `<out>/<folder>/imported-<dataset>.yaml`, only after the data directory
with those files validates (see common.write_validated).
"""
from ingest.importers.common import Catalogue, Report, write_validated

__all__ = ["Catalogue", "Report", "write_validated"]
