"""A leaner GraphQL executor for answers made of many plain attributes.

A `controllers` answer is a few hundred fields, most of them plain attributes of
Link objects (subject, predicate, object, source). graphql-core builds a
ResolveInfo (sixteen values) and runs the full completion machinery for each,
~17 us a field, which is most of a cold answer. For a leaf field that strawberry
itself resolves by reading an attribute (no resolver, no arguments, no
extensions), the info is never used: this executor reads the attribute and
coerces it directly, and a list of objects whose selected fields are all such
leaves (the links of a path) becomes a list of dicts in one go. Anything unusual (a null, a coercion error, a list that is
not all leaves) goes through graphql-core's own path, so errors and their
locations are exactly graphql-core's.
"""
from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLList, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


def _attribute_leaf(field: GraphQLField) -> tuple[str, Any, bool] | None:
    """(attribute name, leaf type, is a list) when the field is a plain attribute of scalars or enums."""
    definition = (field.extensions or {}).get(_BACKREF)
    if definition is None or field.args or not getattr(field.resolve, "_is_default", False):
        return None
    kind = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    is_list = isinstance(kind, GraphQLList)
    if is_list:
        kind = kind.of_type.of_type if isinstance(kind.of_type, GraphQLNonNull) else kind.of_type
    return (definition.python_name, kind, is_list) if is_leaf_type(kind) else None


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with a direct path for attribute leaves (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._leaves: dict[tuple[str, str], tuple[str, Any, bool] | None] = {}   # (type, field) -> its leaf, if one

    def _leaf(self, parent_type: GraphQLObjectType, node: Any) -> tuple[str, Any, bool] | None:
        key = (parent_type.name, node.name.value)
        if key not in self._leaves:
            field = parent_type.fields.get(node.name.value)
            self._leaves[key] = _attribute_leaf(field) if field is not None and not node.arguments else None
        return self._leaves[key]

    def complete_value(self, return_type: Any, field_details_list: Any, info: Any, path: Path, result: Any,
                       position_context: Any) -> Any:
        answer = self._leaf_objects(return_type, field_details_list, info, result) if type(result) is list else Undefined
        if answer is Undefined:
            return super().complete_value(return_type, field_details_list, info, path, result, position_context)
        return answer

    def _leaf_objects(self, return_type: Any, field_details_list: Any, info: Any, result: Any) -> Any:
        """A list of objects whose selected fields are all attribute leaves (the links of a path), read in one go."""
        kind = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if not isinstance(kind, GraphQLList):
            return Undefined
        item = kind.of_type.of_type if isinstance(kind.of_type, GraphQLNonNull) else kind.of_type
        if not isinstance(item, GraphQLObjectType):
            return Undefined
        grouped, deferred, _ = self.collect_subfields(item, field_details_list)
        leaves = [(name, self._leaf(item, details[0].node)) for name, details in grouped.items()]
        if deferred or any(leaf is None for _, leaf in leaves):
            return Undefined
        if item.is_type_of and not all(item.is_type_of(obj, info) is True for obj in result):
            return Undefined
        rows = [{name: _coerced(getattr(obj, leaf[0], None), leaf[1], leaf[2]) for name, leaf in leaves} for obj in result]
        return Undefined if any(Undefined in row.values() for row in rows) else rows

    def execute_field(self, parent_type: GraphQLObjectType, source: Any, field_details_list: Any, path: Path,
                      position_context: Any) -> Any:
        leaf = self._leaf(parent_type, field_details_list[0].node)
        if leaf is not None:
            value = _coerced(getattr(source, leaf[0], None), leaf[1], leaf[2])
            if value is not Undefined:
                return value
        return super().execute_field(parent_type, source, field_details_list, path, position_context)


def _coerced(value: Any, kind: Any, is_list: bool) -> Any:
    """The output value, or Undefined when graphql-core must handle it (nulls, errors)."""
    try:
        if is_list:
            if not isinstance(value, (list, tuple)):
                return Undefined
            items = [kind.coerce_output_value(v) for v in value if v is not None]
            return items if len(items) == len(value) and None not in items and Undefined not in items else Undefined
        if value is None:
            return Undefined
        coerced = kind.coerce_output_value(value)
        return Undefined if coerced is None else coerced
    except Exception:
        return Undefined
