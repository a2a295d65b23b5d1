"""Concentration, chokepoints and centrality, computed over the projection.

Every figure keeps the facts it was computed from, so an answer can be checked
against its sources. Concentration follows the antitrust convention: shares of
a total, HHI = sum of squared shares x 10,000, top-1 and top-4 ratios.

A chokepoint of a model is an actor without which the model has none of its
compute (or none of its data). A compute source (a cluster, or chips trained
with) needs *all* of its owner, operator, chip designer, fabricator, memory
suppliers and export controllers, and the parents that control them; a model
needs *any one* of its sources. Plain reachability (dominators) would treat a
cluster's owner and operator as alternatives, so each source's requirements
are collected and intersected across the model's sources instead.
"""
# No `from __future__ import annotations`: the GraphQL types below name closure variables.
import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import networkx as nx

from graph_service import control
from graph_service.projection import Fact, Projection
from ingest.derive import REFERENCE_CHIP

# Facts whose subject controls its object (a government over a country or a chip, a dataset's licensee
# over access): the control graph points from the dependent to the controller, so these are reversed.
CONTROLLER_IS_SUBJECT = {"jurisdiction_over", "controls_export_of", "licensed_to", "used_by"}
UNKNOWN = "unknown"


class Input(str, enum.Enum):
    """The inputs of AI whose concentration is measured."""

    COMPUTE = "COMPUTE"
    CHIP_DESIGN = "CHIP_DESIGN"
    CHIP_FABRICATION = "CHIP_FABRICATION"
    MEMORY = "MEMORY"
    MODEL_DEVELOPMENT = "MODEL_DEVELOPMENT"
    DATA = "DATA"


class By(str, enum.Enum):
    """Who a share is attributed to: the ultimate owner of the holder, or a country."""

    OWNER = "OWNER"
    COUNTRY = "COUNTRY"


UNITS = {Input.COMPUTE: "H100-equivalents of clusters", Input.CHIP_DESIGN: "H100-equivalents of installed chips",
         Input.CHIP_FABRICATION: "H100-equivalents of installed chips", Input.MEMORY: "H100-equivalents of installed chips",
         Input.MODEL_DEVELOPMENT: "training compute (FLOP)", Input.DATA: "models trained on it (each model's datasets share one)"}


@dataclass
class Share:
    holder: str                       # an actor id, a country code, or "unknown"
    quantity: float
    share: float = 0.0
    facts: list[Fact] = field(default_factory=list)


@dataclass
class Concentration:
    input: Input
    by: By
    unit: str
    total: float
    hhi: float
    top1: float
    top4: float
    shares: list[Share]
    excluded: list[str]               # ids of the records left out for lack of a figure


@dataclass
class _Item:
    """One quantity (a cluster's compute, a chip deployment, a model) and the actors that hold it."""

    quantity: float
    holders: list[tuple[str, float, list[Fact]]]   # actor, fraction, facts from the item to the actor
    facts: list[Fact]                              # facts that give the quantity
    country: Fact | None = None                    # where the item itself is, when that is what counts


def _split(facts: list[Fact]) -> list[tuple[str, float, list[Fact]]]:
    """Holders by their recorded shares when every one has a share, equally otherwise."""
    shares = [f.qualifiers.get("share") for f in facts]
    if facts and all(shares) and sum(shares) > 0:
        return [(f.object, s / sum(shares), [f]) for f, s in zip(facts, shares)]
    return [(f.object, 1 / len(facts), [f]) for f in facts]


def _first(p: Projection, subject: str, key: str) -> Fact | None:
    facts = p.out(subject, key)
    return facts[0] if facts else None


def _of_class(p: Projection, cls: str) -> list[str]:
    return sorted(e.id for e in p.entities.values() if e.cls == cls)


def _compute(p: Projection, day: dt.date | None) -> Iterator[_Item | str]:
    for cluster in _of_class(p, "ComputeCluster"):
        size, owners = _first(p, cluster, "h100_equivalents"), p.out(cluster, "owned_by", day)
        if size is None or not owners:
            yield cluster
            continue
        located = p.out(cluster, "located_in", day)
        yield _Item(float(size.object), _split(owners), [size], located[0] if located else None)


def _chips(key: str) -> Callable[[Projection, dt.date | None], Iterator[_Item | str]]:
    def items(p: Projection, day: dt.date | None) -> Iterator[_Item | str]:
        reference = _first(p, REFERENCE_CHIP, "bf16_tflops")
        for cluster in _of_class(p, "ComputeCluster"):
            for deployed in p.out(cluster, "chips", day):
                tflops, makers = _first(p, deployed.object, "bf16_tflops"), p.out(deployed.object, key, day)
                count = deployed.qualifiers.get("count")
                if reference is None or tflops is None or not count or not makers:
                    yield f"{cluster}/{deployed.object}"
                    continue
                quantity = count * float(tflops.object) / float(reference.object)
                yield _Item(quantity, [(f.object, 1 / len(makers), [f]) for f in makers], [deployed, tflops, reference])
    return items


def _models(p: Projection, day: dt.date | None) -> Iterator[_Item | str]:
    for model in _of_class(p, "Model"):
        flop, developers = _first(p, model, "training_compute_flop"), p.out(model, "developed_by", day)
        if flop is None or not developers:
            yield model
            continue
        yield _Item(float(flop.object), _split(developers), [flop])


def _data(p: Projection, day: dt.date | None) -> Iterator[_Item | str]:
    for model in _of_class(p, "Model"):
        used = p.out(model, "trained_on", day)
        for training in used:
            holders = p.out(training.object, "owned_by", day) + p.out(training.object, "curated_by", day)
            if not holders:
                yield training.object
                continue
            yield _Item(1 / len(used), _split(holders), [training])


COLLECT: dict[Input, Callable[[Projection, dt.date | None], Iterator[_Item | str]]] = {
    Input.COMPUTE: _compute, Input.CHIP_DESIGN: _chips("designed_by"), Input.CHIP_FABRICATION: _chips("fabricated_by"),
    Input.MEMORY: _chips("memory_supplied_by"), Input.MODEL_DEVELOPMENT: _models, Input.DATA: _data}


def control_chain(p: Projection, actor: str, day: dt.date | None = None) -> dict[str, list[Fact]]:
    """The actor and every parent or majority owner above it, each with the facts from the actor to it."""
    chain, stack = {actor: []}, [actor]
    while stack:
        current = stack.pop()
        links = p.out(current, "subsidiary_of", day)
        links += [f for f in p.out(current, "owned_by", day) if (f.qualifiers.get("share") or 0) > 0.5]
        for link in links:
            if link.object not in chain and link.object in p.entities:
                chain[link.object] = chain[current] + [link]
                stack.append(link.object)
    return chain


def _attribute(p: Projection, actor: str, by: By, item: _Item, day: dt.date | None) -> list[tuple[str, float, list[Fact]]]:
    if by is By.COUNTRY:
        located = item.country or (p.out(actor, "headquartered_in", day) or [None])[0]
        return [(located.object, 1.0, [located])] if located else [(UNKNOWN, 1.0, [])]
    chain = control_chain(p, actor, day)
    tops = control.ultimate_parents(p, actor, day)
    return [(top, 1 / len(tops), chain.get(top, [])) for top in tops]


def concentration(p: Projection, input: Input, by: By, day: dt.date | None = None) -> Concentration:
    """Shares, HHI and top-k ratios of one input, by ultimate owner or by country."""
    held: dict[str, Share] = {}
    excluded = []
    for item in COLLECT[input](p, day):
        if isinstance(item, str):
            excluded.append(item)
            continue
        for actor, fraction, via in item.holders:
            for holder, part, chain in _attribute(p, actor, by, item, day):
                share = held.setdefault(holder, Share(holder, 0.0))
                share.quantity += item.quantity * fraction * part
                share.facts += [f for f in item.facts + via + chain if f not in share.facts]
    total = sum(s.quantity for s in held.values())
    shares = sorted(held.values(), key=lambda s: (-s.quantity, s.holder))
    for s in shares:
        s.share = s.quantity / total if total else 0.0
    ratios = [s.share for s in shares]
    return Concentration(input, by, UNITS[input], total, round(sum(r * r for r in ratios) * 10_000, 2),
                         ratios[0] if ratios else 0.0, sum(ratios[:4]), shares, excluded)


# -- chokepoints

RESOURCES = {"COMPUTE": ("trained_at", "trained_with"), "DATA": ("trained_on",)}


def _needs(p: Projection, node: str, day: dt.date | None) -> dict[str, list[Fact]]:
    """Every actor an input cannot do without, with the facts that say so."""
    cls, needs = p.entities[node].cls, {}
    direct = [f for f in p.facts_out.get(node, ()) if f.valid_on(day) and control.ROLE_OF_LINK.get((cls, f.key))]
    if cls == "Chip":
        direct += p.incoming(node, "controls_export_of", day)
    for fact in direct:
        actor = fact.subject if fact.key == "controls_export_of" else fact.object
        for member, chain in control_chain(p, actor, day).items():
            needs.setdefault(member, [fact] + chain)
    below = {"ComputeCluster": "chips", "Dataset": "derived_from"}.get(cls)
    for part in p.out(node, below, day) if below else ():
        for actor, facts in _needs(p, part.object, day).items():
            needs.setdefault(actor, [part] + facts)
    return needs


def _sources(p: Projection, model: str, keys: tuple[str, ...], day: dt.date | None, seen: frozenset = frozenset()) -> list[Fact]:
    """The model's own inputs of a kind; a model with none recorded uses its base models' (what it was built from)."""
    own = [f for k in keys for f in p.out(model, k, day) if f.object in p.entities]
    if own or model in seen:
        return own
    return [f for base in p.out(model, "base_model", day) for f in _sources(p, base.object, keys, day, seen | {model})]


def model_chokepoints(p: Projection, model: str, day: dt.date | None = None) -> dict[str, dict[str, list[Fact]]]:
    """For each resource (COMPUTE, DATA): the actors every one of the model's sources needs, with the facts."""
    found: dict[str, dict[str, list[Fact]]] = {}
    for resource, keys in RESOURCES.items():
        sources = _sources(p, model, keys, day)
        needs = [{a: [s] + facts for a, facts in _needs(p, s.object, day).items()} for s in sources]
        common = set.intersection(*(set(n) for n in needs)) if needs else set()
        found[resource] = {a: [f for n in needs for f in n[a]] for a in sorted(common)}
    return found


@dataclass
class Chokepoint:
    actor: str
    resource: str
    models: list[str]
    facts: list[Fact]


def chokepoints(p: Projection, day: dt.date | None = None) -> list[Chokepoint]:
    """Every actor that cuts some model off from all its compute or all its data, most models first."""
    found: dict[tuple[str, str], Chokepoint] = {}
    for model in _of_class(p, "Model"):
        for resource, actors in model_chokepoints(p, model, day).items():
            for actor, facts in actors.items():
                point = found.setdefault((actor, resource), Chokepoint(actor, resource, [], []))
                point.models.append(model)
                point.facts += [f for f in facts if f not in point.facts]
    return sorted(found.values(), key=lambda c: (-len(c.models), c.actor, c.resource))


# -- centrality

def control_graph(p: Projection, day: dt.date | None = None) -> nx.DiGraph:
    """Records and countries, with an edge from each dependent to what controls or supplies it."""
    graph = nx.DiGraph()
    graph.add_nodes_from(p.entities)
    for facts in p.facts_out.values():
        for f in facts:
            if f.is_reference and f.valid_on(day):
                a, b = (f.object, f.subject) if f.key in CONTROLLER_IS_SUBJECT else (f.subject, f.object)
                graph.add_edge(a, b)
    return graph


def pagerank(graph: nx.DiGraph, alpha: float = 0.85, tol: float = 1e-10, max_iter: int = 200) -> dict[str, float]:
    """PageRank by power iteration (networkx's own needs numpy and scipy, which the service does not install)."""
    n = graph.number_of_nodes()
    if n == 0:
        return {}
    rank = dict.fromkeys(graph, 1 / n)
    out_degree = dict(graph.out_degree())
    for _ in range(max_iter):
        dangling = alpha * sum(rank[v] for v, d in out_degree.items() if d == 0) / n
        new = dict.fromkeys(graph, (1 - alpha) / n + dangling)
        for v, d in out_degree.items():
            if d:
                for w in graph.successors(v):
                    new[w] += alpha * rank[v] / d
        if sum(abs(new[v] - rank[v]) for v in graph) < n * tol:
            return new
        rank = new
    return rank


@dataclass
class Centrality:
    betweenness: dict[str, float]
    pagerank: dict[str, float]


def centrality(p: Projection, exact_up_to: int = 2000, samples: int = 200) -> Centrality:
    """Betweenness and PageRank of every node of the control graph (cached: the projection never changes).

    Betweenness is exact up to `exact_up_to` nodes and estimated from `samples` sources beyond (it is O(V.E))."""
    cache = vars(p).setdefault("_analytics_cache", {})
    if "centrality" not in cache:
        graph = control_graph(p)
        k = None if graph.number_of_nodes() <= exact_up_to else samples
        cache["centrality"] = Centrality(nx.betweenness_centrality(graph, k=k, seed=0), pagerank(graph))
    return cache["centrality"]


def graphql_fields(api: Any) -> dict[str, Any]:
    """The Query fields `concentration` and `chokepoints`, built on the GraphQL module's generated types."""
    import strawberry
    from strawberry.types import Info

    InputEnum = strawberry.enum(Input, name="ConcentrationInput", description="An input of AI whose concentration is measured.")
    ByEnum = strawberry.enum(By, name="ConcentrationBy", description="Attribute shares to ultimate owners or to countries.")

    @strawberry.type(description="One holder's part of an input, with the facts it was computed from.")
    class ConcentrationShare:
        holder: str = strawberry.field(description="An actor id (the ultimate owner), a country code, or 'unknown'.")
        name: str
        quantity: float
        share: float
        links: list[api.Link]

    @strawberry.type(description="How concentrated one input is: shares, HHI (0-10,000), top-1 and top-4 ratios.")
    class ConcentrationResult:
        input: InputEnum
        by: ByEnum
        unit: str
        total: float
        hhi: float
        top1: float
        top4: float
        shares: list[ConcentrationShare]
        excluded: list[str] = strawberry.field(description="Records left out for lack of a figure.")

    @strawberry.type(description="An actor without which some models have none of their compute, or none of their data.")
    class ChokepointResult:
        actor: api.Actor
        resource: str = strawberry.field(description="COMPUTE or DATA.")
        model_count: int
        models: list[api.Model]
        links: list[api.Link]

    def name_of(p: Projection, holder: str) -> str:
        from ingest.values import country_name
        entity = p.entities.get(holder)
        return entity.name if entity else country_name(holder) if len(holder) == 2 else holder

    def resolve_concentration(info: Info, input: InputEnum, by: ByEnum, as_of: dt.date | None = None) -> ConcentrationResult:
        p = info.context["projection"]
        c = concentration(p, Input(input.value), By(by.value), as_of)
        shares = [ConcentrationShare(holder=s.holder, name=name_of(p, s.holder), quantity=s.quantity, share=s.share,
                                     links=[api.make_link(p, f) for f in s.facts]) for s in c.shares]
        return ConcentrationResult(input=input, by=by, unit=c.unit, total=c.total, hhi=c.hhi, top1=c.top1, top4=c.top4,
                                   shares=shares, excluded=c.excluded)

    def resolve_chokepoints(info: Info, as_of: dt.date | None = None) -> list[ChokepointResult]:
        p = info.context["projection"]
        return [ChokepointResult(actor=api.entity(p, c.actor), resource=c.resource, model_count=len(c.models),
                                 models=[api.entity(p, m) for m in c.models], links=[api.make_link(p, f) for f in c.facts])
                for c in chokepoints(p, as_of)]

    resolve_concentration.__annotations__ = {"info": Info, "input": InputEnum, "by": ByEnum, "as_of": dt.date | None,
                                             "return": ConcentrationResult}
    resolve_chokepoints.__annotations__ = {"info": Info, "as_of": dt.date | None, "return": list[ChokepointResult]}
    return {"concentration": strawberry.field(resolver=resolve_concentration, description=(
                "How concentrated an input of AI is, by ultimate owner or by country, each share with its facts.")),
            "chokepoints": strawberry.field(resolver=resolve_chokepoints, description=(
                "Actors whose removal cuts models off from all their compute or all their data, most models first."))}
