"""Who controls the inputs to a model: a breadth-first walk over the projection.

The inputs of a model are its developer, the compute it was trained at or with
(clusters, their owners and operators, their chips and the chips' designers,
fabricators and memory suppliers), its training data (datasets, their owners
and curators, the datasets they derive from, the data deals on them), its base
model (recursively, with that model's inputs) and its licence. From every
actor met, control continues up the chain of owners, parents and funders, and
to the governments with jurisdiction over an actor's or a cluster's country or
export control over a chip. Each (actor, role) keeps the shortest path that
gives it; queries/controllers-of-model.rq answers the same question in SPARQL.
"""
from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field

from graph_service.projection import Fact, Projection

# Which link, leaving which class of node, gives the actor at its end a role.
# The names must be the cp:ControlRole individuals of the ontology (a test checks).
ROLE_OF_LINK: dict[tuple[str, str], str] = {
    ("Model", "developed_by"): "DEVELOPER",
    ("ComputeCluster", "owned_by"): "COMPUTE_OWNER",
    ("ComputeCluster", "operated_by"): "COMPUTE_OPERATOR",
    ("Chip", "designed_by"): "CHIP_DESIGNER",
    ("Chip", "fabricated_by"): "CHIP_FABRICATOR",
    ("Chip", "memory_supplied_by"): "MEMORY_SUPPLIER",
    ("Dataset", "owned_by"): "DATA_OWNER",
    ("Dataset", "curated_by"): "DATA_OWNER",
    ("License", "issued_by"): "LICENSOR",
    ("Actor", "owned_by"): "OWNER",
    ("Actor", "subsidiary_of"): "OWNER",
    ("Actor", "funded_by"): "FUNDER",
    ("Actor", "supplied_by"): "EQUIPMENT_SUPPLIER",
}
# Links to another input, which the walk follows without giving a role.
INPUT_LINKS: dict[str, tuple[str, ...]] = {
    "Model": ("trained_at", "trained_with", "trained_on", "license", "base_model"),
    "ComputeCluster": ("chips",),
    "Dataset": ("derived_from", "license"),
}
# Countries that bring a government's jurisdiction in, by the class of node.
COUNTRY_LINKS = {"Actor": "headquartered_in", "ComputeCluster": "located_in"}
ROLES = sorted(set(ROLE_OF_LINK.values()) | {"BASE_MODEL_DEVELOPER", "DATA_LICENSOR", "JURISDICTION", "EXPORT_CONTROL"})


@dataclass(frozen=True)
class ControlPath:
    role: str
    links: tuple[Fact, ...]


@dataclass
class Controller:
    actor: str
    paths: dict[str, ControlPath] = field(default_factory=dict)  # role -> shortest path

    @property
    def roles(self) -> list[str]:
        return sorted(self.paths)


class _Walk:
    def __init__(self, projection: Projection, day: dt.date | None, max_depth: int):
        self.p, self.day, self.max_depth = projection, day, max_depth
        self.found: dict[str, Controller] = {}
        self.queue: deque[tuple[str, bool, tuple[Fact, ...]]] = deque()
        self.seen: set[tuple[str, bool]] = set()

    def visit(self, node: str, via_base: bool, path: tuple[Fact, ...]) -> None:
        state = (node, via_base and self.p.entities[node].cls == "Model")
        if state not in self.seen and len(path) < self.max_depth:
            self.seen.add(state)
            self.queue.append((node, state[1], path))

    def grant(self, actor: str, role: str, path: tuple[Fact, ...]) -> None:
        if actor not in self.p.entities or len(path) > self.max_depth:
            return
        controller = self.found.setdefault(actor, Controller(actor))
        controller.paths.setdefault(role, ControlPath(role, path))
        self.visit(actor, False, path)

    def step(self, node: str, via_base: bool, path: tuple[Fact, ...]) -> None:
        cls = self.p.entities[node].cls
        for fact in self.p.facts_out.get(node, ()):
            if not fact.valid_on(self.day):
                continue
            role = ROLE_OF_LINK.get((cls, fact.key))
            if role == "DEVELOPER" and via_base:
                role = "BASE_MODEL_DEVELOPER"
            if role == "LICENSOR" and self.p.value(node, "osi_approved"):
                role = None  # an open-source licence's steward (MIT, ASF) imposes no terms of its own
            if role:
                self.grant(fact.object, role, path + (fact,))
            elif fact.key in INPUT_LINKS.get(cls, ()) and fact.object in self.p.entities:
                self.visit(fact.object, via_base or fact.key == "base_model", path + (fact,))
        if cls == "Dataset":
            self.data_deals(node, path)
        if cls == "Chip":
            for control in self.p.incoming(node, "controls_export_of", self.day):
                self.grant(control.subject, "EXPORT_CONTROL", path + (control,))
        if cls in COUNTRY_LINKS:
            for located in self.p.out(node, COUNTRY_LINKS[cls], self.day):
                for rule in self.p.incoming(located.object, "jurisdiction_over", self.day):
                    self.grant(rule.subject, "JURISDICTION", path + (located, rule))

    def data_deals(self, dataset: str, path: tuple[Fact, ...]) -> None:
        """The owners of a dataset that was licensed out (a data deal) are its licensors."""
        deals = self.p.out(dataset, "licensed_to", self.day)
        if not deals:
            return
        for owner in self.p.out(dataset, "owned_by", self.day) + self.p.out(dataset, "curated_by", self.day):
            self.grant(owner.object, "DATA_LICENSOR", path + (deals[0], owner))

    def run(self, model: str) -> list[Controller]:
        self.visit(model, False, ())
        while self.queue:
            self.step(*self.queue.popleft())
        return sorted(self.found.values(), key=lambda c: c.actor)


def controllers_of(projection: Projection, model: str, day: dt.date | None = None, roles: set[str] | None = None,
                   max_depth: int = 12) -> list[Controller]:
    """Every actor that controls an input of `model`, with the shortest path for each of its roles."""
    found = _Walk(projection, day, max_depth).run(model)
    if roles:
        for controller in found:
            controller.paths = {r: p for r, p in controller.paths.items() if r in roles}
        found = [c for c in found if c.paths]
    return found


def ultimate_parents(projection: Projection, actor: str, day: dt.date | None = None) -> list[str]:
    """The actors at the top of the chain of parents and majority owners (the actor itself if none)."""
    tops, stack, seen = set(), [actor], {actor}
    while stack:
        current = stack.pop()
        parents = [f.object for f in projection.out(current, "subsidiary_of", day)]
        parents += [f.object for f in projection.out(current, "owned_by", day) if (f.qualifiers.get("share") or 0) > 0.5]
        if not parents:
            tops.add(current)
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return sorted(tops)


def models_depending_on(projection: Projection, actor: str, day: dt.date | None = None) -> list[tuple[str, Controller]]:
    """Each model for which `actor` is a controller, with its roles and paths (what breaks if it stops)."""
    models = sorted(e.id for e in projection.entities.values() if e.cls == "Model")
    hits = []
    for model in models:
        for controller in controllers_of(projection, model, day):
            if controller.actor == actor:
                hits.append((model, controller))
    return hits
