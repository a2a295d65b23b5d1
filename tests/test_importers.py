"""The importers on small samples in the documented formats (tests/fixtures/importers/), defects included."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ingest.importers.common import header, write_validated
from ingest.importers.ecosystem_graphs import EcosystemGraphsImport
from ingest.importers.epoch import EpochError, EpochImport, read_table
from ingest.pipeline import check
from tests.conftest import CliInvoker, TESTS

FIXTURES = TESTS / "fixtures" / "importers"
EPOCH = FIXTURES / "epoch"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the importers' tiny curated world."""
    shutil.copytree(FIXTURES / "data", tmp_path / "data")
    return tmp_path / "data"


def run_epoch(data: Path, *names: str) -> EpochImport:
    job = EpochImport(data)
    job.run([EPOCH / n for n in names])
    assert write_validated(job.catalogue, job.report, data, data, header("test", job.catalogue.source, "Epoch")) == []
    return job


def run_ecosystem(data: Path) -> EcosystemGraphsImport:
    job = EcosystemGraphsImport(data)
    job.run(FIXTURES / "ecosystem-graphs")
    assert write_validated(job.catalogue, job.report, data, data, header("test", job.catalogue.source, "EG")) == []
    return job


def records(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in yaml.safe_load(path.read_text())}


def counts(report) -> dict:
    return {"added": dict(report.added), "merged": {k: sorted(v) for k, v in report.merged.items()},
            "skipped": {k: len(v) for k, v in report.skipped.items()}, "rejected": {k: len(v) for k, v in report.rejected.items()},
            "conflicts": len(report.conflicts)}


def test_epoch_import_adds_merges_skips_and_rejects_with_reasons(data: Path) -> None:
    job = run_epoch(data, "ml_hardware.csv", "ai_models.csv", "gpu_clusters.csv")
    assert counts(job.report) == {
        "added": {"actors": 2, "chips": 1, "clusters": 2, "models": 2},
        "merged": {"chips": ["nvidia-h100"], "models": ["model-a"]},
        "skipped": {"not marked as ML hardware by Epoch (--all-hardware imports them)": 1,
                    "training compute unknown or below 1e+23 FLOP (--min-compute)": 2},
        "rejected": {"fact dropped: base model is not a known model (nor an imported row)": 1,
                     "fact dropped: country is not an ISO 3166 country": 1,
                     "fact dropped: status is not existing, planned or decommissioned": 1,
                     "fact dropped: training hardware is not a known chip (import Epoch's hardware file in the same run, or add an alias)": 1,
                     "fact dropped: users is not a known actor": 1,
                     "organization is not a known actor and Epoch gives no category to create it": 1},
        "conflicts": 2,
    }
    assert job.report.rejected["organization is not a known actor and Epoch gives no category to create it"] == [
        "Epoch AI row 6 (Model: Orphan): 'Mystery Org'"]
    assert job.report.rejected["fact dropped: training hardware is not a known chip (import Epoch's hardware file in the same run, or add an alias)"] == [
        "Epoch AI row 3 (Model: Reported Y): 'Quantum Chip 9000'"]
    assert job.report.conflicts == [
        f"nvidia-h100 released: {data}/chips/chips.yaml says 2022-03-22; Epoch AI hardware row 1 (Hardware name: NVIDIA H100 SXM5) says 2022-03-21",
        f"model-a released: {data}/models/models.yaml says 2024-04-18; Epoch AI row 1 (Model: Model A) says 2024-04-20",
    ]
    assert check(data).problems == []


def test_an_imported_model_that_matches_a_curated_one_is_that_record(data: Path) -> None:
    run_epoch(data, "ml_hardware.csv", "ai_models.csv")
    models = records(data / "models" / "imported-epoch.yaml")
    assert sorted(models) == ["frontier-x", "reported-y"]          # 'Model A' merged with model-a: nothing new
    frontier = models["frontier-x"]
    assert frontier["source"] == "epoch-ai-models-2025-06"
    assert frontier["base_model"] == {"id": "model-a", "row": "Epoch AI row 2 (Model: Frontier X)"}
    # 'NVIDIA H100 SXM5' is the curated chip nvidia-h100 (alias 'H100 SXM5'): references use the curated id
    assert frontier["trained_with"] == [{"id": "nvidia-h100", "count": 16000, "row": "Epoch AI row 2 (Model: Frontier X)"}]
    assert frontier["training_compute_flop"] == {"value": 2.0e25, "estimate": True, "row": "Epoch AI row 2 (Model: Frontier X)",
                                                 "note": "Epoch AI estimate (method: Hardware; confidence: Likely)"}
    assert "estimate" not in models["reported-y"]["training_compute_flop"]    # Reported + Confident
    actors = records(data / "actors" / "imported-epoch.yaml")
    assert actors["newlab"]["kind"] == "company"
    assert actors["newlab"]["headquartered_in"] == {"value": "FR", "row": "Epoch AI row 2 (Model: Frontier X)"}
    assert sorted(records(data / "chips" / "imported-epoch.yaml")) == ["newchip-x1"]
    assert (data / "models" / "imported-epoch.yaml").read_text().startswith(
        "# GENERATED by `test` from Epoch (source: epoch-ai-hardware-2025-06, epoch-ai-models-2025-06).\n# Do not edit by hand")


def test_rerunning_an_import_replaces_its_files_with_the_same_output(data: Path) -> None:
    run_epoch(data, "ml_hardware.csv", "ai_models.csv", "gpu_clusters.csv")
    first = {p: p.read_text() for p in sorted(data.glob("*/imported-epoch.yaml"))}
    run_epoch(data, "ml_hardware.csv", "ai_models.csv", "gpu_clusters.csv")
    assert {p: p.read_text() for p in sorted(data.glob("*/imported-epoch.yaml"))} == first
    run_epoch(data, "ai_models_old_snapshot.csv")         # a run with other files replaces every epoch file
    assert sorted(p.parent.name for p in data.glob("*/imported-epoch.yaml")) == ["models"]


def test_older_snapshots_name_the_model_column_system(data: Path) -> None:
    job = run_epoch(data, "ai_models_old_snapshot.csv")
    assert list(records(data / "models" / "imported-epoch.yaml")) == ["old-system"]
    assert job.report.added == {"models": 1}


def test_a_missing_required_column_is_named() -> None:
    with pytest.raises(EpochError) as error:
        read_table(EPOCH / "ai_models_missing_organization.csv")
    assert str(error.value) == (f"{EPOCH / 'ai_models_missing_organization.csv'}: the Epoch AI models file lacks the required column "
                                "'Organization' ('Organization' may also be called 'Organisation'); found: Model, Publication date, "
                                "Training compute (FLOP)")


def test_multi_line_quoted_fields_and_the_byte_order_mark_are_read() -> None:
    table = read_table(EPOCH / "ai_models.csv")
    assert table.columns["Model"] == "Model" and len(table.rows) == 6
    assert table.rows[1]["Parameters notes"] == '"400B"\nfrom the paper,\nsection 2'


def test_ecosystem_graphs_import_resolves_what_it_can_and_reports_the_rest(data: Path) -> None:
    job = run_ecosystem(data)
    assert counts(job.report) == {
        "added": {"datasets": 1, "licenses": 1, "models": 2},
        "merged": {"models": ["model-a"]},
        "skipped": {"dataset built with a model (not recorded)": 1, "dependency on an application (not recorded)": 1,
                    "type 'application' has no Chokepoint class (applications are not recorded)": 1},
        "rejected": {"dependency names no asset and no record": 1,
                     "fact dropped: licence is neither a known licence nor an SPDX id": 1,
                     "organization is not a known actor (add it, or an alias, to data/actors/)": 2,
                     "same name as an earlier asset": 1},
        "conflicts": 2,
    }
    assert job.report.rejected["dependency names no asset and no record"] == [
        "Ecosystem Graphs labco.yaml: LabCo Chat depends on 'Unknown Corpus'"]
    assert job.report.rejected["organization is not a known actor (add it, or an alias, to data/actors/)"] == [
        "Ecosystem Graphs labco.yaml: LabCo Chat: 'Ghost Org'", "Ecosystem Graphs labco.yaml: Stray: 'Nobody Inc'"]
    assert job.report.rejected["fact dropped: licence is neither a known licence nor an SPDX id"] == [
        "Ecosystem Graphs labco.yaml: LabCo Tiny: 'Wordtune License'"]
    assert job.report.conflicts == [
        f"model-a license: {data}/models/models.yaml says apache-2.0; Ecosystem Graphs labco.yaml: Model A says MIT",
        f"labco headquartered_in: {data}/actors/actors.yaml says FR; Ecosystem Graphs labco.yaml: LabCo Chat says nationality 'USA'",
    ]
    models = records(data / "models" / "imported-ecosystem-graphs.yaml")
    chat = models["labco-chat"]
    row = "Ecosystem Graphs labco.yaml: LabCo Chat"
    assert chat["developed_by"] == [{"id": "labco", "row": row}]            # 'LabCo, Ghost Org': the known one only
    assert chat["license"] == {"id": "apache-2.0", "row": row}               # 'Apache 2.0' -> the curated licence
    assert chat["trained_on"] == {"id": "crawl-clean", "row": row}           # 'CrawlClean' dependency
    assert chat["base_model"]["id"] == "model-a"                             # 'model a': case-insensitive
    web = records(data / "datasets" / "imported-ecosystem-graphs.yaml")["labco-web"]
    assert web["license"]["id"] == "cc-by-4.0" and web["derived_from"]["id"] == "crawl-clean"
    assert records(data / "licenses" / "imported-ecosystem-graphs.yaml")["cc-by-4.0"]["spdx"]["value"] == "CC-BY-4.0"
    assert check(data).problems == []


def test_the_cli_imports_shows_a_summary_and_leaves_valid_data(data: Path) -> None:
    cli = CliInvoker()
    result = cli("import", "epoch", EPOCH / "ml_hardware.csv", EPOCH / "ai_models.csv", "--data", data)
    assert result.exit_code == 0, result.output
    assert "new models records" in result.stdout and "Epoch AI row 6 (Model: Orphan): 'Mystery Org'" in result.stdout
    result = cli("import", "ecosystem-graphs", FIXTURES / "ecosystem-graphs", "--data", data, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.stdout
    assert not list(data.glob("*/imported-ecosystem-graphs.yaml"))
    assert cli("validate", data).exit_code == 0


def test_the_cli_says_which_required_column_is_missing(data: Path) -> None:
    result = CliInvoker()("import", "epoch", EPOCH / "ai_models_missing_organization.csv", "--data", data)
    assert result.exit_code == 1
    assert "lacks the required column 'Organization'" in result.stderr
    assert not list(data.glob("*/imported-*.yaml"))
