"""Reading YAML the way a config file is meant: every file inferplane reads goes through
``load_yaml``, which differs from ``yaml.safe_load`` in two ways.

- Dates stay text. YAML 1.1 turns an unquoted ``2024-01-31`` into a ``datetime.date``,
  which then breaks anything that serializes config as JSON (Pulumi passes config to the
  program as JSON strings). Fields that mean a date parse the ISO text themselves.
- A mapping may not repeat a key. YAML keeps the last one silently, so two targets with the
  same name would quietly become one; here every repeat is an error naming its key path and
  both line numbers. Merge keys (``<<: *anchor``) may still be overridden on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from inferplane.errors import ConfigFileError, DuplicateKeyError, Issue, key_path

__all__ = ["load_yaml", "read_yaml"]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """SafeLoader whose timestamps are constructed as the text they were written as."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def load_yaml(text: str, source: str) -> Any:
    """Parse one YAML document from ``text``; ``source`` names it in errors."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = list(_duplicate_keys(node, (), set()))
        if duplicates:
            raise DuplicateKeyError(duplicates, source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{source} is not valid YAML: {exc}") from exc
    finally:
        loader.dispose()


def read_yaml(path: Path, what: str = "") -> Any:
    """``load_yaml`` of a file; ``what`` (e.g. "price table") prefixes the path in errors."""
    source = f"{what} {path}".strip()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError(f"cannot read {source}: {exc.strerror}") from exc
    return load_yaml(text, source)


def _duplicate_keys(node: Node, path: tuple[str | int, ...], seen: set[int]) -> Iterator[Issue]:
    if id(node) in seen:  # an alias of a node already walked (or a recursive one)
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index), seen)
    elif isinstance(node, MappingNode):
        first_line: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE_TAG:
                key = (key_node.tag, key_node.value)
                line = key_node.start_mark.line + 1
                if key in first_line:
                    yield Issue(
                        key_path((*path, key_node.value)),
                        f"duplicate key: defined at line {first_line[key]} and again at "
                        f"line {line}; YAML would silently keep only the last. Remove or "
                        "rename one",
                    )
                first_line.setdefault(key, line)
                yield from _duplicate_keys(value_node, (*path, key_node.value), seen)
            else:
                yield from _duplicate_keys(value_node, path, seen)
