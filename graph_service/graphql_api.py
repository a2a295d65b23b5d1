"""The GraphQL surface: entity types generated from the ontology, and the control analysis.

Each record class of the ontology becomes a GraphQL type whose fields are the
class's properties (camelCased keys): references as lists of the range type,
literals as scalars, plus the inverse relations the ontology declares
(`develops`, `owns`, `funds`). The Role enum is the ontology's cp:ControlRole
individuals. Nothing here lists a class or a property by hand.
"""
# No `from __future__ import annotations`: resolver annotations name closure variables and must be evaluated now.

import datetime as dt
import enum
import json
import keyword
import sys
from collections import OrderedDict
from functools import partial
from typing import Any, NewType, Optional
from weakref import WeakKeyDictionary

import strawberry
from fastapi.responses import HTMLResponse
from rdflib import RDF, XSD
from strawberry.extensions import (AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter,
                                   ValidationCache)
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from graph_service import analytics, control
from graph_service.explorer import graphiql_html
from graph_service.graphql_execution import LeanExecutionContext
from graph_service.projection import Entity, Fact, Projection
from ingest.problems import suggestion
from ingest.schema import ClassSpec, PropertySpec, Schema

BigInt = NewType("BigInt", int)
SCALAR_MAP = {BigInt: strawberry.scalar(name="BigInt", serialize=int, parse_value=int,
                                        description="An integer that may exceed 32 bits (parameter counts, user caps).")}
SCALARS: dict[Any, Any] = {XSD.string: str, XSD.integer: BigInt, XSD.decimal: float, XSD.double: float,
                           XSD.boolean: bool, XSD.date: str, XSD.anyURI: str}
IDENTITY = ("name", "aliases", "wikidata", "description", "homepage")
_module = sys.modules[__name__]


def _projection(info: Info) -> Projection:
    return info.context["projection"]


class NotFound(Exception):
    """An id that names no record of the asked type."""


def _require(projection: Projection, id: str, cls: str | None = None) -> Entity:
    entity = projection.entities.get(id)
    if entity is not None and cls and entity.cls != cls:
        labels = {c.name: c.label for c in projection.schema.classes.values()}
        raise NotFound(f"'{id}' is {'an' if labels[entity.cls][0] in 'aeiou' else 'a'} {labels[entity.cls]}, not a {labels[cls]}")
    if entity is None:
        candidates = [e.id for e in projection.entities.values() if cls is None or e.cls == cls]
        what = cls and projection.schema.classes[cls].label or "record"
        raise NotFound(f"no {what} with id '{id}'{suggestion(id, candidates) or '.'}")
    return entity


def _build_enums(schema: Schema) -> tuple[type, type]:
    roles = sorted(str(r).rsplit("#", 1)[-1] for r in schema.ontology.subjects(RDF.type, schema.cp.ControlRole))
    entity_type = enum.Enum("EntityType", {c.name.upper(): c.name for c in schema.classes.values() if c.directory != "sources"})
    return strawberry.enum(enum.Enum("Role", {r: r for r in roles}), description="How an actor controls an input of a model."), \
        strawberry.enum(entity_type, description="The classes of records.")


SCHEMA_CACHE: dict[str, strawberry.Schema] = {}


def build_schema(schema: Schema) -> strawberry.Schema:
    """The GraphQL schema for an ontology (built once per base IRI)."""
    if schema.ns.base not in SCHEMA_CACHE:
        SCHEMA_CACHE[schema.ns.base] = _Builder(schema).schema()
    return SCHEMA_CACHE[schema.ns.base]


class _Builder:
    def __init__(self, schema: Schema):
        self.ontology = schema
        Role, EntityType = _build_enums(schema)
        self.Role, self.EntityType = Role, EntityType
        _module.Role, _module.EntityType = Role, EntityType
        self.define_support_types()
        self.types = {c.name: self.entity_type(c) for c in schema.classes.values() if c.directory != "sources"}

    # -- types that do not depend on the ontology's classes
    def define_support_types(self) -> None:
        Role, EntityType, schema = self.Role, self.EntityType, self.ontology

        @strawberry.type(description="A publication that states facts.")
        class Source:
            id: strawberry.ID
            title: str
            url: Optional[str]
            publisher: Optional[str]
            date: Optional[str]

        @strawberry.type(description="A country, by its ISO 3166-1 alpha-2 code.")
        class Country:
            code: str
            name: str

        # Links are plain data, filled when made: a controllers answer holds hundreds of them,
        # and plain attributes resolve far faster than resolver functions.
        annotations: dict[str, Any] = {
            "subject": strawberry.ID, "subject_name": Optional[str], "predicate": str, "object": str,
            "object_name": Optional[str], "source": Optional[str], "source_record": Optional[Source]}
        descriptions = {"subject": "Id of the subject.", "predicate": "The relation, as its data key (developed_by, owned_by, ...).",
                        "object": "Id of the object (or the value, or a country code).",
                        "source": "URL of the source (or its title when it has no URL).",
                        "source_record": "The source, with title, publisher and date."}
        qualifier_keys = {k: k + "_" if keyword.iskeyword(k) else k for k in schema.qualifiers if k != "source"}
        for key, attribute in qualifier_keys.items():
            qual = schema.qualifiers[key]
            annotations[attribute] = Optional[str if qual.is_reference else SCALARS[qual.range]]
            descriptions[attribute] = qual.comment
        graphql_names = {a: k for k, a in qualifier_keys.items()}
        namespace: dict[str, Any] = {"__annotations__": annotations}
        for attribute in annotations:
            namespace[attribute] = strawberry.field(name=graphql_names.get(attribute), description=descriptions.get(attribute) or None)
        Link = strawberry.type(type("Link", (), namespace), description="One fact: subject, relation, object, its qualifiers and its source.")

        # A fact's Link never changes while its projection lives: made once, shared by every answer.
        links: WeakKeyDictionary[Fact, Any] = WeakKeyDictionary()

        def make_link(p: Projection, fact: Fact) -> Any:
            if (link := links.get(fact)) is None:
                link = links[fact] = new_link(p, fact)
            return link

        def new_link(p: Projection, fact: Fact) -> Any:
            source = p.sources.get(fact.source or "")
            subject = p.entities.get(fact.subject)
            obj = p.entities.get(fact.object) if fact.is_reference else None
            qualifiers = {a: fact.qualifiers.get(k) for k, a in qualifier_keys.items()}
            return Link(subject=fact.subject, subject_name=subject.name if subject else None, predicate=fact.key,
                        object=str(fact.object), object_name=obj.name if obj else None,
                        source=(source.url or source.title) if source else None,
                        source_record=Source(id=source.id, title=source.title, url=source.url, publisher=source.publisher,
                                             date=source.date) if source else None,
                        **{k: str(v) if isinstance(v, dt.date) else v for k, v in qualifiers.items()})

        _module.make_link = make_link

        @strawberry.type(description="The links that give an actor one role, from the model to the actor.")
        class ControlPath:
            role: Role
            links: list[Link]

        _module.Source, _module.Country, _module.Link, _module.ControlPath = Source, Country, Link, ControlPath

        # Identity fields are plain attributes, filled when a record is made (entity()): an answer names
        # many records, and plain attributes resolve far faster than resolver functions.
        @strawberry.interface(description="Any record: actor, chip, compute cluster, model, dataset or licence.")
        class Record:
            id: strawberry.ID
            name: str
            type: EntityType
            aliases: list[str]
            wikidata: Optional[str] = strawberry.field(description="The Wikidata entity, where known.")
            description: Optional[str]
            homepage: Optional[str]

            @strawberry.field(description="Every source this record's facts cite.")
            def sources(self, info: Info) -> list[Source]:
                p = _projection(info)
                ids = {p.entities[self.id].source} | {f.source for f in p.facts_out.get(self.id, ())}
                return [Source(id=s.id, title=s.title, url=s.url, publisher=s.publisher, date=s.date)
                        for s in (p.sources[i] for i in sorted(filter(None, ids)))]

            @strawberry.field(description="Every fact about this record, with its qualifiers and source; `predicate` filters by data key.")
            def facts(self, info: Info, predicate: Optional[str] = None) -> list[Link]:
                p = _projection(info)
                return [make_link(p, f) for f in p.facts_out.get(self.id, ()) if predicate in (None, f.key)]

        _module.Record = Record

    # -- one type per ontology class
    def entity_type(self, spec: ClassSpec) -> type:
        namespace: dict[str, Any] = {"__annotations__": {}}
        for key, prop in spec.properties.items():
            if key not in IDENTITY:
                namespace[key] = strawberry.field(description=prop.comment or None, resolver=self.property_resolver(prop))
        for prop in self.inverse_properties(spec):
            namespace[_snake(prop.inverse)] = strawberry.field(description=f"Inverse of {prop.key}.", resolver=_inverse_resolver(prop))
        namespace.update(self.extra_fields(spec))
        cls = type(spec.name, (_module.Record,), namespace)
        cls.__module__ = __name__
        gql = strawberry.type(cls, description=spec.comment)
        setattr(_module, spec.name, gql)
        return gql

    def inverse_properties(self, spec: ClassSpec) -> list[PropertySpec]:
        return sorted({p.iri: p for c in self.ontology.classes.values() for p in c.properties.values()
                       if p.inverse and p.range == spec.iri}.values(), key=lambda p: p.key)

    def property_resolver(self, prop: PropertySpec):
        if prop.is_country:
            return _country_resolver(prop)
        if prop.is_reference:
            return _reference_resolver(prop, self.ontology.class_of(prop.range).name)
        return _literal_resolver(prop, SCALARS[prop.range])

    def extra_fields(self, spec: ClassSpec) -> dict[str, Any]:
        if spec.name == "Model":
            return {"controllers": strawberry.field(resolver=_controllers_resolver(self.Role), description=(
                        "Every actor that controls an input of this model, with its roles and, for each, the path of facts that gives it.")),
                    "control_groups": strawberry.field(resolver=_groups_resolver(self.Role), description=(
                        "Controllers grouped by ultimate parent, for the groups that hold several roles."))}
        if spec.name == "Actor":
            def kind(root: Any, info: Info) -> Optional[str]:
                return _projection(info).entities[root.id].kind
            return {"kind": strawberry.field(resolver=kind, description="company, lab, government, university, investor or person."),
                    "dependents": strawberry.field(resolver=_dependents_resolver(self.Role), description=(
                        "The models this actor controls an input of, with its roles and paths: what depends on it.")),
                    "ultimate_parents": strawberry.field(resolver=_ultimate_parents_resolver(), description=(
                        "The top of the chain of parents and majority owners (the actor itself if it has none)."))}
        return {}

    def schema(self) -> strawberry.Schema:
        query = _query_type(self)
        # Extensions are factories, made per request; the parser and validation caches live at module level. The
        # limiters' rule classes are made once here: the validation cache is keyed on them, and a limiter made per
        # request makes new ones, so every request would miss the cache and be validated again (~5 ms).
        limits = [*QueryDepthLimiter(max_depth=16).validation_rules, *MaxAliasesLimiter(max_alias_count=64).validation_rules]
        return strawberry.Schema(query=query, types=list(self.types.values()), execution_context_class=LeanExecutionContext,
                                 config=StrawberryConfig(scalar_map=SCALAR_MAP), extensions=[
            partial(AddValidationRules, limits), partial(MaxTokensLimiter, max_token_count=4000),
            partial(ParserCache, maxsize=256), partial(ValidationCache, maxsize=256)])


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def entity(p: Projection, id: str) -> Any:
    """The GraphQL object of a record."""
    e = p.entities[id]
    return getattr(_module, e.cls)(id=id, type=_module.EntityType(e.cls), **{key: getattr(e, key) for key in IDENTITY})


def _entity(info: Info, id: str) -> Any:
    return entity(_projection(info), id)


def _reference_resolver(prop: PropertySpec, target: str):
    def resolve(root: Any, info: Info) -> list[target]:
        p = _projection(info)
        objects = dict.fromkeys(f.object for f in p.out(root.id, prop.key))
        return [_entity(info, o) for o in objects if o in p.entities]
    resolve.__annotations__["return"] = f"list[{target}]"
    return resolve


def _inverse_resolver(prop: PropertySpec):
    def resolve(root: Any, info: Info) -> list["Record"]:
        subjects = dict.fromkeys(f.subject for f in _projection(info).incoming(root.id, prop.key))
        return [_entity(info, s) for s in subjects]
    return resolve


def _country_resolver(prop: PropertySpec):
    from ingest.values import country_name

    def resolve(root: Any, info: Info) -> list["Country"]:
        codes = dict.fromkeys(f.object for f in _projection(info).out(root.id, prop.key))
        return [_module.Country(code=c, name=country_name(c)) for c in codes]
    return resolve


def _literal_resolver(prop: PropertySpec, kind: Any):
    def convert(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        return int(value) if kind is BigInt else value

    if prop.multi_valued:
        def resolve_many(root: Any, info: Info) -> list[kind]:
            return [convert(f.object) for f in _projection(info).out(root.id, prop.key)]
        return resolve_many

    def resolve(root: Any, info: Info) -> Optional[kind]:
        value = _projection(info).value(root.id, prop.key)
        return None if value is None else convert(value)
    return resolve


def _check_depth(max_depth: int) -> None:
    if not 1 <= max_depth <= 32:
        raise ValueError(f"maxDepth must be between 1 and 32, got {max_depth}")


def _controllers_resolver(Role: type):
    @strawberry.type(description="An actor that controls an input of a model.")
    class Controller:
        actor: "Actor"
        roles: list[Role]
        paths: list[_module.ControlPath]

    _module.Controller = Controller

    def resolve(root: Any, info: Info, as_of: Optional[dt.date] = None, roles: Optional[list[Role]] = None,
                max_depth: int = 12) -> list[Controller]:
        _check_depth(max_depth)
        wanted = {r.value for r in roles} if roles else None
        found = control.controllers_of(_projection(info), root.id, as_of, wanted, max_depth)
        return [_controller(info, c, Controller, Role) for c in found]
    resolve.__annotations__["return"] = list[Controller]
    return resolve


def _paths(info: Info, c: control.Controller, roles: list[str], Role: type) -> list[Any]:
    """The GraphQL ControlPath of each of `roles`, link by link."""
    p = _projection(info)
    return [_module.ControlPath(role=Role(r), links=[_module.make_link(p, f) for f in c.paths[r].links]) for r in roles]


def _controller(info: Info, c: control.Controller, Controller: type, Role: type) -> Any:
    return Controller(actor=_entity(info, c.actor), roles=[Role(r) for r in c.roles], paths=_paths(info, c, c.roles, Role))


def _groups_resolver(Role: type):
    @strawberry.type(description="Controllers under one ultimate parent that together hold several roles.")
    class ControlGroup:
        parent: "Actor"
        actors: list["Actor"]
        roles: list[Role]

    def resolve(root: Any, info: Info, as_of: Optional[dt.date] = None, max_depth: int = 12) -> list[ControlGroup]:
        _check_depth(max_depth)
        p = _projection(info)
        groups: dict[str, tuple[set[str], set[str]]] = {}
        for c in control.controllers_of(p, root.id, as_of, None, max_depth):
            for parent in control.ultimate_parents(p, c.actor, as_of):
                actors, roles = groups.setdefault(parent, (set(), set()))
                actors.add(c.actor)
                roles.update(c.roles)
        return [ControlGroup(parent=_entity(info, parent), actors=[_entity(info, a) for a in sorted(actors)],
                             roles=[Role(r) for r in sorted(roles)])
                for parent, (actors, roles) in sorted(groups.items()) if len(roles) > 1]
    resolve.__annotations__["return"] = list[ControlGroup]
    return resolve


def _dependents_resolver(Role: type):
    @strawberry.type(description="A model that depends on an actor, through the roles the actor holds over its inputs.")
    class Dependent:
        model: "Model"
        roles: list[Role]
        paths: list[_module.ControlPath]

    def resolve(root: Any, info: Info, as_of: Optional[dt.date] = None, roles: Optional[list[Role]] = None) -> list[Dependent]:
        wanted = {r.value for r in roles} if roles else None
        found = []
        for model, c in control.models_depending_on(_projection(info), root.id, as_of):
            held = [r for r in c.roles if wanted is None or r in wanted]
            if held:
                found.append(Dependent(model=_entity(info, model), roles=[Role(r) for r in held], paths=_paths(info, c, held, Role)))
        return found
    resolve.__annotations__["return"] = list[Dependent]
    return resolve


def _ultimate_parents_resolver():
    def resolve(root: Any, info: Info, as_of: Optional[dt.date] = None) -> list["Actor"]:
        return [_entity(info, a) for a in control.ultimate_parents(_projection(info), root.id, as_of)]
    return resolve


def _query_type(builder: _Builder) -> type:
    EntityType = builder.EntityType
    namespace: dict[str, Any] = {"__annotations__": {}}

    def search(info: Info, text: str, type: Optional[EntityType] = None, first: int = 20) -> list[_module.Record]:
        """Records whose name or alias matches the text, best first."""
        return [_entity(info, e.id) for e in _search(_projection(info), text, type.value if type else None, first)]
    namespace["search"] = strawberry.field(resolver=search)

    def entity(info: Info, id: strawberry.ID) -> _module.Record:
        return _entity(info, _require(_projection(info), id).id)
    namespace["entity"] = strawberry.field(resolver=entity, description="Any record by id.")
    namespace.update(analytics.graphql_fields(_module))

    for spec in builder.ontology.classes.values():
        if spec.directory != "sources":
            field_name = _snake(spec.name).lstrip("_").replace("compute_", "")
            namespace[field_name] = strawberry.field(resolver=_by_id(spec.name), description=f"One {spec.label} by id.")
            namespace[spec.directory] = strawberry.field(resolver=_listing(spec), description=f"{spec.label.capitalize()}s, filtered and paginated.")
    return strawberry.type(type("Query", (), namespace))


def _by_id(cls: str):
    def resolve(info: Info, id: strawberry.ID) -> cls:
        return _entity(info, _require(_projection(info), id, cls).id)
    resolve.__annotations__["return"] = cls
    return resolve


def _search(p: Projection, text: str, cls: str | None, first: int) -> list[Entity]:
    needle = text.casefold().strip()
    if not needle:
        raise ValueError("search text is empty")
    scored = []
    for e in p.entities.values():
        if cls and e.cls != cls:
            continue
        names = [e.name.casefold(), e.id] + [a.casefold() for a in e.aliases]
        if any(n == needle for n in names):
            rank = 0
        elif any(n.startswith(needle) for n in names):
            rank = 1
        elif any(needle in n for n in names):
            rank = 2
        else:
            continue
        scored.append((rank, len(e.name), e.name, e))
    return [s[-1] for s in sorted(scored, key=lambda s: s[:3])[:max(0, min(first, 100))]]


# Filters of the list fields: argument -> the data key it tests, for each class.
LIST_FILTERS: dict[str, dict[str, str]] = {
    "Model": {"developer": "developed_by", "open_weights": "open_weights", "release_year": "released", "trained_at": "trained_at"},
    "Actor": {"kind": "kind", "country": "headquartered_in"},
    "ComputeCluster": {"country": "located_in", "owner": "owned_by", "chip": "chips"},
    "Chip": {"designer": "designed_by", "fabricator": "fabricated_by"},
    "Dataset": {"owner": "owned_by", "curator": "curated_by"},
    "License": {"osi_approved": "osi_approved", "issuer": "issued_by"},
}


def _matches(p: Projection, e: Entity, key: str, wanted: Any) -> bool:
    if key == "kind":
        return e.kind == wanted
    values = [f.object for f in p.out(e.id, key, dt.date.today()) or p.out(e.id, key)]
    if key == "released":
        return any(str(v)[:4] == str(wanted) for v in values)
    if isinstance(wanted, str):
        return any(str(v).casefold() == wanted.casefold() for v in values)
    return wanted in values


def _listing(spec: ClassSpec):
    filters = LIST_FILTERS.get(spec.name, {})
    page = strawberry.type(type(f"{spec.name}Page", (), {"__annotations__": {"total": int, "items": list[spec.name]}}),
                           description=f"A page of {spec.label}s and the total that match.")
    page.__module__ = __name__
    setattr(_module, f"{spec.name}Page", page)

    def resolve(info: Info, first: int = 50, offset: int = 0, **given: Any) -> page:
        if not 0 <= first <= 500 or offset < 0:
            raise ValueError(f"first must be between 0 and 500 and offset at least 0, got first={first}, offset={offset}")
        p = _projection(info)
        hits = [e for e in sorted(p.entities.values(), key=lambda e: e.id) if e.cls == spec.name and
                all(v is None or _matches(p, e, filters[k], v) for k, v in given.items())]
        return page(total=len(hits), items=[_entity(info, e.id) for e in hits[offset:offset + first]])

    kinds = {"open_weights": Optional[bool], "osi_approved": Optional[bool], "release_year": Optional[int]}
    import inspect
    params = [inspect.Parameter("info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info),
              inspect.Parameter("first", inspect.Parameter.KEYWORD_ONLY, default=50, annotation=int),
              inspect.Parameter("offset", inspect.Parameter.KEYWORD_ONLY, default=0, annotation=int)]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kinds.get(name, Optional[str]))
               for name in filters]
    resolve.__signature__ = inspect.Signature(params, return_annotation=page)
    resolve.__annotations__ = {p.name: p.annotation for p in params} | {"return": page}
    return resolve


class GraphQLEndpoint(GraphQLRouter):
    """strawberry's router with GraphiQL served offline, and answers cached per build.

    A build never changes while it is served, so the same request always has the
    same answer: executing it once is enough. The cache is bounded (LRU) and
    belongs to this router, hence to one loaded graph.
    """

    def __init__(self, *args: Any, cache_size: int = 512, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cache: OrderedDict[tuple, Any] = OrderedDict()
        self.cache_size = cache_size

    async def render_graphql_ide(self, request: Any) -> HTMLResponse:
        return HTMLResponse(graphiql_html())

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any, context: Any,
                             root_value: Any, request_data: Any) -> Any:
        key = (request_adapter.method, request_data.query, request_data.operation_name,
               json.dumps(request_data.variables, sort_keys=True, default=str))
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        result = await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)
        if self.cache_size:
            self.cache[key] = result
            if len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        return result
