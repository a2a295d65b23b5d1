"""A leaner GraphQL executor for answers made of plain attributes.

A `controllers` answer is a few hundred fields, nearly all of them plain
attributes (an actor's id and name, a path's role, a link's subject, predicate,
object and source). graphql-core builds a ResolveInfo (sixteen values) and runs
its full completion machinery for each, ~17 us a field, which was most of a
cold answer. Where strawberry itself would only read an attribute (no resolver,
no arguments, no extensions), that work changes nothing: this executor reads
the attributes of such a subtree and coerces its leaves directly. Anything else
(a resolver, `__typename`, an interface, a null where one is not allowed, a
value that does not coerce) falls back to graphql-core's own path, so answers
and errors are exactly graphql-core's; tests/test_graphql_execution.py checks
that on every model and record.
"""
from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLList, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
# Per selected field: response name, attribute, field type, field details, the scalar type if a scalar, non-null
Plan = list[tuple[str, str, Any, Any, Any, bool]]


def _attribute(field: GraphQLField | None, node: Any) -> str | None:
    """The attribute strawberry would read for this field, if reading it is all strawberry would do."""
    if field is None or field.args or node.arguments or not getattr(field.resolve, "_is_default", False):
        return None
    definition = (field.extensions or {}).get(_BACKREF)
    return definition.python_name if definition is not None else None


def _leaf(kind: Any, value: Any) -> Any:
    try:
        coerced = kind.coerce_output_value(value)
    except Exception:   # graphql-core's path reports it, located
        return Undefined
    return Undefined if coerced is None else coerced


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, completing attribute-only subtrees directly (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, int], Plan | None] = {}   # (type, id of its field details) -> plan, if plain

    def execute_field(self, parent_type: GraphQLObjectType, source: Any, field_details_list: Any, path: Path,
                      position_context: Any) -> Any:
        node = field_details_list[0].node
        field = parent_type.fields.get(node.name.value)
        attribute = _attribute(field, node)
        if attribute is not None:
            value = self._plain(field.type, field_details_list, getattr(source, attribute, None))
            if value is not Undefined:
                return value
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def complete_value(self, return_type: Any, field_details_list: Any, info: Any, path: Path, result: Any,
                       position_context: Any) -> Any:
        answer = self._plain(return_type, field_details_list, result)
        if answer is Undefined:
            return super().complete_value(return_type, field_details_list, info, path, result, position_context)
        return answer

    def _plain(self, kind: Any, field_details_list: Any, value: Any) -> Any:
        """The completed value of an attribute-only subtree, or Undefined to leave it to graphql-core."""
        if isinstance(kind, GraphQLNonNull):
            if value is None:
                return Undefined
            kind = kind.of_type
        elif value is None:
            return None
        if isinstance(kind, GraphQLList):
            if type(value) is not list:
                return Undefined
            item_kind = kind.of_type
            items = [self._plain(item_kind, field_details_list, v) for v in value]
            return Undefined if any(item is Undefined for item in items) else items
        if is_leaf_type(kind):
            return _leaf(kind, value)
        return self._object(kind, field_details_list, value)

    def _object(self, kind: Any, field_details_list: Any, value: Any) -> Any:
        if not isinstance(kind, GraphQLObjectType):
            return Undefined
        if kind.is_type_of is not None and kind.is_type_of(value, None) is not True:  # strawberry's check ignores info
            return Undefined
        plan = self._plan(kind, field_details_list)
        if plan is None:
            return Undefined
        answer = {}
        for name, attribute, field_type, details, leaf, non_null in plan:
            field_value = getattr(value, attribute, None)
            if leaf is None:
                completed = self._plain(field_type, details, field_value)
            elif field_value is None:   # scalars, the bulk of an answer, completed inline
                completed = Undefined if non_null else None
            else:
                completed = _leaf(leaf, field_value)
            if completed is Undefined:
                return Undefined
            answer[name] = completed
        return answer

    def _plan(self, kind: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        key = (kind.name, id(field_details_list))   # collect_subfields keeps the list alive: its id stays unique
        if key not in self._plans:
            grouped, deferred, _ = self.collect_subfields(kind, field_details_list)
            plan: Plan | None = []
            for name, details in grouped.items():
                field = kind.fields.get(details[0].node.name.value)
                attribute = _attribute(field, details[0].node)
                if attribute is None or deferred:
                    plan = None
                    break
                non_null = isinstance(field.type, GraphQLNonNull)
                core = field.type.of_type if non_null else field.type
                plan.append((name, attribute, field.type, details, core if is_leaf_type(core) else None, non_null))
            self._plans[key] = plan
        return self._plans[key]
