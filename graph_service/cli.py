"""The `chokepoint` command: validate, build, stats, serve."""
from __future__ import annotations

from pathlib import Path

import enum

import typer
from rich.console import Console
from rich.table import Table

from graph_service.analytics import Input
from graph_service.exports import EXPORTERS
from ingest.artifact import ArtifactError, class_counts, read_manifest, write_artifact
from ingest.pipeline import check
from ingest.schema import default_schema

app = typer.Typer(help="Chokepoint: who controls the means of production of AI.", no_args_is_help=True,
                  add_completion=False)
console = Console()
errors = Console(stderr=True)

DATA = typer.Argument(Path("data"), help="The data directory (YAML records in class folders).")
ExportFormat = enum.Enum("ExportFormat", {name: name for name in EXPORTERS})  # the choices come from the registry
BUILD = typer.Option(Path("build"), "--build", "-b", help="The build directory holding the graph artifact.")


def _report(problems: list) -> None:
    for problem in problems:
        errors.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    files = len({p.file for p in problems})
    errors.print(f"[red]{len(problems)} problem{'s' * (len(problems) != 1)} in {files} file{'s' * (files != 1)}; nothing was built[/red]")


def _counts_table(title: str, counts: dict[str, int], triples: int) -> Table:
    table = Table(title=title)
    table.add_column("class")
    table.add_column("count", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    table.add_row("triples", f"{triples:,}", style="bold")
    return table


@app.command()
def validate(data_dir: Path = DATA) -> None:
    """Check every file in DATA_DIR; list every problem as file:line: message. Exit 1 if any."""
    built = check(data_dir)
    if built.problems:
        _report(built.problems)
        raise typer.Exit(1)
    counts = class_counts(built.graph, default_schema())
    console.print(f"[green]{data_dir} is valid[/green]: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@app.command()
def build(data_dir: Path = DATA, out: Path = BUILD) -> None:
    """Validate DATA_DIR and write the graph artifact to the build directory."""
    with console.status("reading YAML") as status:
        built = check(data_dir, stage=lambda name: status.update(name))
        if built.problems:
            status.stop()
            _report(built.problems)
            raise typer.Exit(1)
        status.update("writing artifact")
        manifest = write_artifact(built.graph, out, default_schema())
    console.print(_counts_table(f"Built {out / manifest.graph_file}", manifest.counts, manifest.triples))


@app.command()
def stats(out: Path = BUILD,
          coverage: bool = typer.Option(False, "--coverage", help="Per class and field: the share of records that have it, and that cite a source for it.")) -> None:
    """Counts per class of the current build (with --coverage, how complete each field is)."""
    try:
        manifest = read_manifest(out)
    except ArtifactError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1)
    console.print(_counts_table(f"Build {manifest.sha256[:16]}", manifest.counts, manifest.triples))
    if coverage:
        from graph_service.coverage import field_coverage
        from graph_service.projection import Projection
        from graph_service.store import GraphStore

        table = Table(title="Coverage: records with the field / with a source for it")
        for column in ("class", "field", "filled", "sourced"):
            table.add_column(column, justify="right" if column in ("filled", "sourced") else "left")
        for row in field_coverage(Projection.load(GraphStore.from_build(out), default_schema())):
            table.add_row(row.cls, row.key, f"{row.filled:.0%}", f"{row.sourced:.0%}")
        console.print(table)


@app.command()
def query(name: str = typer.Argument(None, help="The named query (a file in queries/ without .rq)."),
          param: list[str] = typer.Option([], "--param", "-p", help="A parameter as key=value; repeat for several."),
          fmt: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
          out: Path = BUILD) -> None:
    """Run a named research question against the current build (no NAME: list them)."""
    import csv
    import json
    import sys

    from graph_service.named_queries import QueryError, named_queries
    from graph_service.sparql_engine import Dataset, QuerySyntaxError, Solutions, run_on_store
    from graph_service.store import GraphStore

    queries = named_queries()
    if name is None:
        table = Table(title="Named queries")
        for column in ("name", "title", "parameters"):
            table.add_column(column)
        for q in queries.values():
            table.add_row(q.name, q.title, ", ".join(f"{p.name}={p.default}" for p in q.params.values()))
        console.print(table)
        return
    if name not in queries:
        from ingest.problems import suggestion
        errors.print(f"[red]no query '{name}'{suggestion(name, queries) or '.'} 'chokepoint query' lists them[/red]")
        raise typer.Exit(1)
    if fmt not in ("table", "csv", "json"):
        errors.print(f"[red]--format is table, csv or json, got '{fmt}'[/red]")
        raise typer.Exit(1)
    bad = [p for p in param if "=" not in p]
    if bad:
        errors.print(f"[red]--param is key=value, got {', '.join(map(repr, bad))}[/red]")
        raise typer.Exit(1)
    try:
        graph = GraphStore.from_build(out)
        text = queries[name].render(graph.manifest.base, dict(p.split("=", 1) for p in param), graph.record_ids())
        result = run_on_store(graph.store, text, 10**9, Dataset(), graph.manifest.base + "graph")
    except (QueryError, QuerySyntaxError, ArtifactError) as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1)
    assert isinstance(result, Solutions), "named queries are SELECT queries"
    rows = [{v: row[v][1] if v in row else "" for v in result.variables} for row in result.rows]
    if fmt == "json":
        console.print_json(json.dumps(rows))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=result.variables, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        table = Table(title=queries[name].title)
        for v in result.variables:
            table.add_column(v)
        for row in rows:
            table.add_row(*[_short(row[v], graph.manifest.base) for v in result.variables])
        console.print(table)


def _short(value: str, base: str) -> str:
    return value.removeprefix(base + "id/")


@app.command()
def serve(out: Path = BUILD, host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
          port: int = typer.Option(8000, envvar="PORT", help="Port to listen on.")) -> None:
    """Serve the current build over HTTP."""
    import uvicorn

    from graph_service.app import create_app
    from graph_service.store import GraphStore

    try:
        graph = GraphStore.from_build(out)
    except ArtifactError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1)
    console.print(f"Serving build {graph.manifest.sha256[:16]} ({graph.manifest.triples:,} triples) on http://{host}:{port}/")
    uvicorn.run(create_app(graph), host=host, port=port, log_level="warning")


def _load(out: Path):
    """The projection and store of the current build, or exit 1 saying why not."""
    from graph_service.projection import Projection
    from graph_service.store import GraphStore
    try:
        graph = GraphStore.from_build(out)
    except ArtifactError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1)
    return Projection.load(graph, default_schema()), graph


@app.command()
def export(fmt: ExportFormat = typer.Option(..., "--format", "-f", help="The export format."),
           model: str = typer.Option(None, "--model", help="Only the control graph of this model (the links 'controllers' walks)."),
           actor: str = typer.Option(None, "--actor", help="Only the neighbourhood of this actor."),
           depth: int = typer.Option(1, "--depth", help="How many links from --actor."),
           relation: str = typer.Option(None, "--relation", help="Only this relation, e.g. owned_by."),
           output: str = typer.Option("-", "--output", "-o", help="The file to write; - for stdout."),
           out: Path = BUILD) -> None:
    """Export the graph (or a model's control graph, an actor's neighbourhood, one relation) for Gephi, Cytoscape or RDF tools."""
    import sys

    from graph_service.errors import ApiError
    from graph_service.exports import export as run_export
    projection, graph = _load(out)
    try:
        body = run_export(projection, graph, fmt.value, model, actor, depth, relation)
    except ApiError as error:
        errors.print(f"[red]{error.message}[/red]", highlight=False)
        raise typer.Exit(1)
    if output == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        Path(output).write_bytes(body)
        errors.print(f"wrote {len(body):,} bytes to {output}")


@app.command()
def analyze(what: str = typer.Argument("concentration", help="concentration, chokepoints or centrality."),
            input: str = typer.Option("COMPUTE", "--input", "-i", help="For concentration: " + ", ".join(i.value for i in Input) + "."),
            by: str = typer.Option("OWNER", "--by", help="For concentration: OWNER (ultimate owner) or COUNTRY."),
            top: int = typer.Option(20, "--top", "-n", help="How many rows to show."),
            out: Path = BUILD) -> None:
    """Concentration of an input (shares, HHI, top-1/top-4), chokepoints of models, or centrality of actors."""
    from graph_service import analytics
    projection, _ = _load(out)
    name = lambda i: projection.entities[i].name if i in projection.entities else i  # noqa: E731
    if what == "concentration":
        try:
            c = analytics.concentration(projection, analytics.Input(input.upper()), analytics.By(by.upper()))
        except ValueError:
            errors.print(f"[red]--input is one of {', '.join(i.value for i in analytics.Input)}; --by is OWNER or COUNTRY[/red]")
            raise typer.Exit(1)
        table = Table(title=f"{c.input.value} by {c.by.value.lower()}: HHI {c.hhi:,.0f}, top-1 {c.top1:.1%}, top-4 {c.top4:.1%} "
                            f"of {_number(c.total)} {c.unit}")
        for column, justify in (("holder", "left"), ("quantity", "right"), ("share", "right"), ("facts", "right")):
            table.add_column(column, justify=justify)
        for share in c.shares[:top]:
            table.add_row(name(share.holder), _number(share.quantity), f"{share.share:.1%}", str(len(share.facts)))
        if c.excluded:
            table.caption = f"{len(c.excluded)} records left out for lack of a figure"
    elif what == "chokepoints":
        table = Table(title="Actors that cut models off from all their compute or all their data")
        for column in ("actor", "resource", "models", "which"):
            table.add_column(column)
        for point in analytics.chokepoints(projection)[:top]:
            table.add_row(name(point.actor), point.resource, str(len(point.models)), ", ".join(point.models[:6]) + " …" * (len(point.models) > 6))
    elif what == "centrality":
        metrics = analytics.centrality(projection)
        table = Table(title="Actors by PageRank in the control graph (edges point from the dependent to the controller)")
        for column, justify in (("actor", "left"), ("pagerank", "right"), ("betweenness", "right")):
            table.add_column(column, justify=justify)
        actors = [a for a, e in projection.entities.items() if e.cls == "Actor"]
        for actor in sorted(actors, key=lambda a: -metrics.pagerank.get(a, 0))[:top]:
            table.add_row(name(actor), f"{metrics.pagerank.get(actor, 0):.4f}", f"{metrics.betweenness.get(actor, 0):.4f}")
    else:
        errors.print(f"[red]analyze what? concentration, chokepoints or centrality, got '{what}'[/red]")
        raise typer.Exit(1)
    console.print(table)


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 10 or abs(value) >= 1e15 else f"{value:,.0f}"


import_app = typer.Typer(help="Take in a public dataset: merge what matches existing records, write the rest to "
                                "generated files <out>/<folder>/imported-<dataset>.yaml.", no_args_is_help=True)
app.add_typer(import_app, name="import")
IMPORT_DATA = typer.Option(Path("data"), "--data", "-d", help="The data directory the import joins to and validates against.")
IMPORT_OUT = typer.Option(None, "--out", "-o", help="Where to write the generated files (default: the --data directory).")
DRY_RUN = typer.Option(False, "--dry-run", help="Report what would be imported; write nothing.")
REPORT_FILE = typer.Option(None, "--report", help="Also write the full lists (every rejection and conflict) to this file.")


def _run_import(job, command: str, title: str, data_dir: Path, out: Path | None, dry_run: bool, report_file: Path | None) -> None:
    from rich.progress import Progress

    from ingest.importers.common import header, summary_table, write_validated

    with Progress(console=console, transient=True) as progress:
        job(lambda items, total, what: progress.track(items, total=total, description=f"reading {what}"))
    with console.status("validating") as status:
        loose = write_validated(job.catalogue, job.report, data_dir, out or data_dir, header(command, job.catalogue.source, title),
                                dry_run, status.update)
    console.print(summary_table(job.report, f"{command}{' (dry run)' if dry_run else ''}"))
    for line in job.report.lines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if report_file:
        report_file.write_text("\n".join(job.report.lines(limit=None)) + "\n", encoding="utf-8")
    if loose:
        errors.print("[red]the imported records make the data invalid; nothing was written:[/red]")
        for line in loose:
            errors.print(line, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    for path in job.report.written:
        console.print(f"wrote {path}")
    if dry_run:
        console.print("dry run: nothing was written")


class _Job:
    """An importer run wrapped so that the progress display can be handed to it."""

    def __init__(self, importer, argument):
        self.importer, self.argument = importer, argument
        self.catalogue, self.report = importer.catalogue, importer.report

    def __call__(self, progress) -> None:
        self.importer.progress = progress
        self.importer.run(self.argument)


@import_app.command("epoch")
def import_epoch(files: list[Path] = typer.Argument(..., help="Epoch AI CSV files: AI models, ML hardware and/or GPU clusters "
                                                             "(recognised by their columns); pass them all in one run."),
                 data_dir: Path = IMPORT_DATA, out: Path = IMPORT_OUT,
                 min_compute: float = typer.Option(1e23, "--min-compute", help="Import only models trained with at least this many FLOP."),
                 all_hardware: bool = typer.Option(False, "--all-hardware", help="Import every hardware row, not only those Epoch marks as ML hardware."),
                 source: list[str] = typer.Option([], "--source", help="The source id of a file kind, as KIND=ID (models, hardware, clusters); "
                                                                        "defaults: epoch-ai-models-2025-06, epoch-ai-hardware-2025-06, epoch-ai-gpu-clusters."),
                 dry_run: bool = DRY_RUN, report_file: Path = REPORT_FILE) -> None:
    """Import Epoch AI's CSVs (AI models, ML hardware, GPU clusters)."""
    from ingest.importers.epoch import EpochError, EpochImport

    bad = [s for s in source if "=" not in s]
    if bad:
        errors.print(f"[red]--source is KIND=ID, got {', '.join(map(repr, bad))}[/red]")
        raise typer.Exit(1)
    importer = EpochImport(data_dir, dict(s.split("=", 1) for s in source), min_compute, all_hardware)
    try:
        _run_import(_Job(importer, files), "chokepoint import epoch " + " ".join(f.name for f in files),
                    "Epoch AI's databases", data_dir, out, dry_run, report_file)
    except (EpochError, OSError) as error:
        errors.print(f"[red]{error}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@import_app.command("ecosystem-graphs")
def import_ecosystem_graphs(directory: Path = typer.Argument(..., help="A folder of Ecosystem Graphs asset files (its assets/ folder)."),
                            data_dir: Path = IMPORT_DATA, out: Path = IMPORT_OUT,
                            source: str = typer.Option("ecosystem-graphs-2025-01-24", "--source", help="The source id of the snapshot."),
                            dry_run: bool = DRY_RUN, report_file: Path = REPORT_FILE) -> None:
    """Import Stanford CRFM Ecosystem Graphs assets (models and datasets)."""
    from ingest.importers.ecosystem_graphs import EcosystemGraphsError, EcosystemGraphsImport

    importer = EcosystemGraphsImport(data_dir, source)
    try:
        _run_import(_Job(importer, directory), f"chokepoint import ecosystem-graphs {directory.name}",
                    "Stanford CRFM Ecosystem Graphs", data_dir, out, dry_run, report_file)
    except (EcosystemGraphsError, OSError) as error:
        errors.print(f"[red]{error}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
