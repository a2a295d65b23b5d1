"""Exports through HTTP and the CLI: every format parses back with the right counts and attributes."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import networkx as nx
import rdflib
from rdflib.compare import isomorphic

from graph_service.exports import EXPORTERS

# The fixture world: 17 records (7 actors, 2 chips, 2 clusters, 3 datasets, 1 licence, 2 models) plus the 3 countries facts point at (US, FR, TW); 34 reference facts
# (8 about actors, 3 about chips, 7 about clusters, 6 about datasets, 1 about the licence, 9 about models).
NODES, EDGES = 20, 34
GEXF = "{http://www.gexf.net/1.2draft}"
VIZ = "{http://www.gexf.net/1.2draft/viz}"


def get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response


def test_every_registered_format_has_a_route(client) -> None:
    listed = get(client, "/export").json()["formats"]
    assert [f["name"] for f in listed] == list(EXPORTERS) == ["gexf", "graphml", "nodes-csv", "edges-csv", "ttl", "nt", "jsonld"]
    for f in listed:
        assert get(client, f["url"]).headers["content-type"].startswith(f["media_type"])


def test_gexf_reads_back_with_typed_attributes_colours_sizes_and_intervals(client) -> None:
    body = get(client, "/export/graph.gexf").content
    graph = nx.read_gexf(io.BytesIO(body))
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (NODES, EDGES)
    assert graph.nodes["cluster-a"]["class"] == "ComputeCluster" and graph.nodes["cluster-a"]["chip_count"] == 24576
    assert graph.nodes["labco"]["country"] == "FR" and graph.nodes["model-a"]["training_compute_flop"] == 6.3e24
    assert graph.nodes["parentco"]["h100e_controlled"] == 24576.0 and graph.nodes["labco"]["pagerank"] > 0
    # An independent parse: attribute types, per-class colour, size, and the ownership interval for the timeline.
    root = ET.fromstring(body)
    types = {a.get("title"): a.get("type") for a in root.iter(GEXF + "attribute")}
    assert (types["chip_count"], types["training_compute_flop"], types["open_weights"], types["share"]) == \
        ("long", "double", "boolean", "double")
    nodes = {n.get("id"): n for n in root.iter(GEXF + "node")}
    colour = lambda n: nodes[n].find(VIZ + "color").attrib  # noqa: E731
    assert colour("labco") == colour("parentco") != colour("cluster-a")
    assert float(nodes["parentco"].find(VIZ + "size").get("value")) > float(nodes["labco"].find(VIZ + "size").get("value"))
    [owned] = [e for e in root.iter(GEXF + "edge") if (e.get("source"), e.get("label")) == ("labco", "owned_by")]
    assert (owned.get("target"), owned.get("start"), owned.get("weight")) == ("parentco", "2023-01-01", "0.6")
    assert root.find(GEXF + "graph").get("timeformat") == "date"


def test_graphml_reads_back_in_networkx(client) -> None:
    graph = nx.read_graphml(io.BytesIO(get(client, "/export/graph.graphml").content))
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (NODES, EDGES)
    weights = {(u, v, d["label"]): d["weight"] for u, v, d in graph.edges(data=True)}
    assert weights[("cluster-a", "nvidia-h100", "chips")] == 24576.0 and weights[("model-a", "labco", "developed_by")] == 1.0
    assert graph.nodes["nvidia-h100"]["bf16_tflops"] == 989.0


def test_csv_tables(client) -> None:
    nodes = list(csv.DictReader(io.StringIO(get(client, "/export/nodes.csv").text)))
    edges = list(csv.DictReader(io.StringIO(get(client, "/export/edges.csv?relation=owned_by").text)))
    assert len(nodes) == NODES and {n["id"]: n["class"] for n in nodes}["US"] == "Country"
    assert sorted((e["source"], e["target"], e["weight"], e["from"]) for e in edges) == [
        ("cluster-a", "parentco", "1.0", ""), ("cluster-pub", "gov-us", "1.0", ""),
        ("forum-posts", "fundco", "1.0", ""), ("labco", "parentco", "0.6", "2023-01-01")]


def test_rdf_formats_reparse_with_the_store_triple_count(client) -> None:
    triples = get(client, "/health").json()["triples"]
    for name, fmt in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
        graph = rdflib.Graph().parse(data=get(client, f"/export/graph.{name}").content, format=fmt)
        assert len(graph) == triples, name


def test_rdf_subgraph_is_the_same_graph_in_every_format(client) -> None:
    nt = get(client, "/export/graph.nt?model=model-b").text
    graphs = {name: rdflib.Graph().parse(data=get(client, f"/export/graph.{name}?model=model-b").content, format=fmt)
              for name, fmt in (("ttl", "turtle"), ("jsonld", "json-ld"))}
    lines = [line for line in nt.splitlines() if line.strip()]
    assert all(len(g) == len(lines) for g in graphs.values())
    assert isomorphic(graphs["ttl"], rdflib.Graph().parse(data=nt, format="nt"))
    assert any("/id/model-b> <https://example.org/chokepoint/ontology#developedBy>" in line for line in lines)


def walked(client, model: str) -> set[tuple[str, str, str]]:
    """Every link of every path of the model's controllers answer."""
    body = client.post("/graphql", json={"query": '{ model(id: "%s") { controllers { paths { links { subject predicate object } } } } }' % model}).json()
    return {(link["subject"], link["predicate"], link["object"]) for c in body["data"]["model"]["controllers"]
            for p in c["paths"] for link in p["links"]}


def test_model_subgraph_is_exactly_the_links_controllers_walks(client) -> None:
    links = walked(client, "model-b")
    edges = list(csv.DictReader(io.StringIO(get(client, "/export/edges.csv?model=model-b").text)))
    assert {(e["source"], e["label"], e["target"]) for e in edges} == links
    assert len(edges) == len(links) > 10


def test_actor_neighbourhood_and_relation_subgraphs(client) -> None:
    one = nx.read_graphml(io.BytesIO(get(client, "/export/graph.graphml?actor=parentco&depth=1").content))
    assert sorted(one.nodes) == ["US", "cloudco", "cluster-a", "labco", "parentco"]
    two = nx.read_graphml(io.BytesIO(get(client, "/export/graph.graphml?actor=parentco&depth=2").content))
    assert set(one.nodes) < set(two.nodes) and "model-a" in two.nodes


def test_unknown_ids_and_relations_are_errors_with_suggestions(client) -> None:
    assert client.get("/export/graph.gexf?model=modl-b").json() == {
        "ok": False, "status": 404, "title": "Not found", "error": "no model with id 'modl-b'; did you mean 'model-b' or 'model-a'?"}
    response = client.get("/export/edges.csv?relation=owned")
    assert response.status_code == 400 and response.json()["error"] == "'owned' is not a relation; did you mean 'owned_by'?"
    assert client.get("/export/graph.gexf?model=model-a&actor=labco").status_code == 400


def test_control_graph_picture(client) -> None:
    response = get(client, "/models/model-b/control-graph.svg")
    assert response.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(response.text)
    svg = "{http://www.w3.org/2000/svg}"
    labels = [t.text for t in root.iter(svg + "text")]
    assert "Model B" in labels and "ParentCo" in labels and "owned_by" in labels and "Actor" in labels  # names, arrows, legend
    assert len([p for p in root.iter(svg + "path") if p.get("marker-end")]) == len(walked(client, "model-b"))
    assert client.get("/models/labco/control-graph.svg").status_code == 404
    assert "/models/model-a/control-graph.svg" in get(client, "/").text


def test_cli_export_to_file_and_stdout(cli, client, fixture_build, tmp_path) -> None:
    out = tmp_path / "g.gexf"
    result = cli("export", "--format", "gexf", "--relation", "owned_by", "-o", out, "--build", fixture_build)
    assert result.exit_code == 0, result.output
    assert nx.read_gexf(out).number_of_edges() == 4
    result = cli("export", "--format", "edges-csv", "--model", "model-b", "-o", "-", "--build", fixture_build)
    assert result.exit_code == 0 and result.stdout.count("\n") == 1 + len(walked(client, "model-b"))
    result = cli("export", "--format", "gexf", "--actor", "labc", "--build", fixture_build)
    assert result.exit_code == 1 and "did you mean 'labco'" in result.stderr
