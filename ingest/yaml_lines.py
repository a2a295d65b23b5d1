"""YAML that remembers where each value came from.

PyYAML drops line numbers and silently keeps the last of two equal keys; both
would make errors unlocatable. This loader returns dicts and lists that carry
the line of each key and item, and reports duplicate keys.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ingest.problems import Problem


class LineDict(dict):
    """A mapping with the line of the mapping (`line`) and of each key (`lines`)."""

    line: int = 0
    lines: dict[str, int]


class LineList(list):
    """A sequence with the line of the sequence (`line`) and of each item (`lines`)."""

    line: int = 0
    lines: list[int]


class InvalidDate(str):
    """A scalar that looked like a date but is not one (e.g. 2024-13-01)."""


class _Loader(yaml.SafeLoader):
    file: str = ""
    problems: list[Problem]

    def construct_line_mapping(self, node: yaml.MappingNode) -> LineDict:
        self.flatten_mapping(node)
        result = LineDict()
        result.line, result.lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in result:
                self.problems.append(Problem(self.file, line, f"duplicate key '{key}' (first at line {result.lines[key]}); "
                                                              "write the values as one list under a single key"))
                continue
            result[key] = self.construct_object(value_node, deep=True)
            result.lines[key] = line
        return result

    def construct_line_sequence(self, node: yaml.SequenceNode) -> LineList:
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_checked_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return InvalidDate(node.value)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_line_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_line_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_checked_timestamp)


def load_yaml(path: Path, shown_as: str) -> tuple[Any, list[Problem]]:
    """The document in `path` and the problems met reading it (syntax errors, duplicate keys)."""
    loader = _Loader(path.read_text(encoding="utf-8"))
    loader.file, loader.problems = shown_as, []
    try:
        return loader.get_single_data(), loader.problems
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        what = " ".join(filter(None, [error.context, error.problem]))
        return None, loader.problems + [Problem(shown_as, line, f"YAML syntax error: {what}")]
    finally:
        loader.dispose()
