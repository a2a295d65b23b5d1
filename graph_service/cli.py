"""The `chokepoint` command: validate, build, stats, serve."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ingest.artifact import ArtifactError, class_counts, read_manifest, write_artifact
from ingest.pipeline import check
from ingest.schema import default_schema

app = typer.Typer(help="Chokepoint: who controls the means of production of AI.", no_args_is_help=True,
                  add_completion=False)
console = Console()
errors = Console(stderr=True)

DATA = typer.Argument(Path("data"), help="The data directory (YAML records in class folders).")
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
def stats(out: Path = BUILD) -> None:
    """Counts per class of the current build."""
    try:
        manifest = read_manifest(out)
    except ArtifactError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1)
    console.print(_counts_table(f"Build {manifest.sha256[:16]}", manifest.counts, manifest.triples))


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
        text = queries[name].render(graph.manifest.base, dict(p.split("=", 1) for p in param))
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


if __name__ == "__main__":
    app()
