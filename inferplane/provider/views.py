"""What Pulumi's component analyzer (``pulumi.provider.experimental``) can read, built from
the components as they are.

The analyzer reads annotations with ``inspect.get_annotations`` (no evaluation, so the
strings ``from __future__ import annotations`` leaves are unreadable), wants each
component's ``args`` to be a class of annotated fields (a dataclass's defaults do not make
a field optional to it), knows no ``Literal``, ``tuple`` or non-optional union, and passes
the inputs to the component as a plain dict. Rather than bend every component to that, each
public component gets a *view*:

- its args dataclass becomes a TypedDict of the resolved field types (``Literal`` -> str,
  ``tuple``/``Sequence`` -> list, ``Mapping`` -> dict, a nested dataclass -> its own
  TypedDict, anything else -> Any) with the defaulted fields ``NotRequired``, named like
  the dataclass; the analyzer reads its field docs (own and inherited) from the generated
  source of ``inferplane.provider.docsource``;
- the component becomes a ComponentResource ``inferplane:index:<Name>`` that turns the dict
  back into the dataclass (``from_wire``), creates the real component as its child and
  exposes the real component's plain outputs (str, int, float, bool, lists and maps of
  them).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, Required, TypedDict, get_args, get_origin

import pulumi

from inferplane.provider.docsource import declare

__all__ = ["PACKAGE", "args_type", "component_view", "from_wire", "to_wire"]

PACKAGE = "inferplane"
_SIMPLE = (str, int, float, bool)
_VIEWS: dict[type, type] = {}


def _hints(cls: Any) -> dict[str, Any]:
    """``cls``'s own annotations, evaluated in its module (the strings of ``from __future__
    import annotations``)."""
    module = sys.modules[cls.__module__]
    own = inspect.get_annotations(cls)
    namespace = {**vars(module), "pulumi": pulumi}
    return {k: eval(v, namespace) if isinstance(v, str) else v for k, v in own.items()}


def _all_hints(cls: type) -> dict[str, Any]:
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if base in (object, pulumi.Resource, pulumi.ComponentResource):
            continue
        hints.update(_hints(base))
    return hints


def args_type(component: type) -> type:
    """The class a component's ``__init__`` takes as ``args``."""
    hint = _hints(vars(component)["__init__"]).get("args")
    if not isinstance(hint, type):
        raise TypeError(f"{component.__name__}.__init__ has no class-typed 'args' parameter")
    return hint


def _is_input(hint: Any) -> bool:
    return (
        get_origin(hint) in (typing.Union, types.UnionType)
        and any(get_origin(a) is pulumi.Output for a in get_args(hint))
        and any(get_origin(a) is not None and "Awaitable" in str(a) for a in get_args(hint))
    )


def _plain(hint: Any) -> Any:
    """``Input[T]`` -> T, ``Output[T]`` -> T."""
    if get_origin(hint) is pulumi.Output:
        return get_args(hint)[0]
    if _is_input(hint):
        for arg in get_args(hint):
            if get_origin(arg) is not None and "Awaitable" in str(arg):
                return get_args(arg)[0]
    return hint


def schema_type(hint: Any) -> Any:
    """The analyzer's view of one field type."""
    hint = _plain(hint)
    origin, args = get_origin(hint), get_args(hint)
    if hint in _SIMPLE or hint is Any:
        return hint
    if origin is typing.Literal:
        kinds = {type(a) for a in args}
        return kinds.pop() if len(kinds) == 1 and kinds <= set(_SIMPLE) else Any
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            inner = schema_type(rest[0])
            return inner | None if inner is not Any else Any
        return Any
    if origin in (list, tuple, Sequence, typing.Sequence) or hint in (list, tuple):
        return list[schema_type(args[0] if args else Any)]  # type: ignore[misc]
    if origin in (dict, Mapping, typing.Mapping):
        if args and args[0] is not str:
            return Any
        return dict[str, schema_type(args[1]) if args else Any]  # type: ignore[misc]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _typed_dict(hint)
    if isinstance(hint, type) and typing.is_typeddict(hint):
        return _typed_dict(hint)
    return Any


def _fields(cls: type) -> dict[str, tuple[Any, bool]]:
    """``{name: (resolved type, required)}`` of a dataclass or TypedDict."""
    hints = _all_hints(cls)
    if dataclasses.is_dataclass(cls):
        return {
            f.name: (
                hints[f.name],
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(cls)
            if f.init
        }
    required = getattr(cls, "__required_keys__", frozenset(hints))
    return {k: (v, k in required) for k, v in hints.items()}


def _typed_dict(cls: type) -> type:
    if cls in _VIEWS:
        return _VIEWS[cls]
    fields: dict[str, Any] = {}
    make: Any = TypedDict  # the functional form, with names only known at run time
    _VIEWS[cls] = make(cls.__name__, fields)  # a placeholder while fields recurse
    for name, (hint, required) in _fields(cls).items():
        fields[name] = Required[schema_type(hint)] if required else NotRequired[schema_type(hint)]
    view: type = make(cls.__name__, fields)
    view.__doc__ = cls.__doc__
    declare(view, cls, list(fields))
    _VIEWS[cls] = view
    return view


def from_wire(hint: Any, value: Any) -> Any:
    """A value the provider mapped from the wire (dicts with the Python field names), back
    into ``hint``'s type: dataclasses rebuilt, tuples as tuples."""
    if value is None or isinstance(value, pulumi.Output):
        return value
    hint = _plain(hint)
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return from_wire(rest[0], value) if len(rest) == 1 else value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type) and isinstance(value, dict):
        fields = _fields(hint)
        return hint(**{k: from_wire(fields[k][0], v) for k, v in value.items() if k in fields})
    if origin is tuple or hint is tuple:
        return tuple(from_wire(args[0] if args else Any, v) for v in value)
    if origin in (list, Sequence, typing.Sequence):
        return [from_wire(args[0] if args else Any, v) for v in value]
    if origin in (dict, Mapping, typing.Mapping) and isinstance(value, dict):
        return {k: from_wire(args[1] if args else Any, v) for k, v in value.items()}
    if hint is float and isinstance(value, int):
        return float(value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum) and not isinstance(value, hint):
        return hint(value)
    return value


def to_wire(value: Any) -> Any:
    """A component's args as another language's SDK sends them: dicts with the schema's
    camelCase names (the provider maps them back)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            _camel(f.name): to_wire(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init and getattr(value, f.name) is not None
        }
    if isinstance(value, Mapping):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _plain_output(hint: Any) -> Any | None:
    """The analyzer's type for an output attribute, or None to leave it out."""
    if get_origin(hint) is not pulumi.Output:
        return None
    inner = schema_type(get_args(hint)[0])
    plain = inner
    if get_origin(inner) in (typing.Union, types.UnionType):
        plain = next(a for a in get_args(inner) if a is not type(None))
    if plain in _SIMPLE or get_origin(plain) in (list, dict):
        return pulumi.Output[inner]  # type: ignore[valid-type]
    return None


def component_view(component: type[pulumi.ComponentResource]) -> type[pulumi.ComponentResource]:
    """The analyzable ComponentResource standing for ``component`` (see the module doc)."""
    real_args = args_type(component)
    view_args = schema_type(real_args)
    outputs = {
        name: hint
        for name, raw in _all_hints(component).items()
        if not name.startswith("_") and (hint := _plain_output(raw)) is not None
    }

    def __init__(
        self: pulumi.ComponentResource,
        name: str,
        args: Any,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        pulumi.ComponentResource.__init__(
            self, f"{PACKAGE}:index:{component.__name__}", name, {}, opts
        )
        build: Any = component  # (name, args, opts), not ComponentResource's signature
        real = build(name, from_wire(real_args, dict(args)), pulumi.ResourceOptions(parent=self))
        for attr in outputs:
            setattr(self, attr, getattr(real, attr, None))
        self.register_outputs({attr: getattr(real, attr, None) for attr in outputs})

    __init__.__annotations__ = {
        "name": str,
        "args": view_args,
        "opts": pulumi.ResourceOptions | None,
        "return": None,
    }
    view = types.new_class(
        component.__name__,
        (pulumi.ComponentResource,),
        {},
        lambda ns: ns.update(
            {
                "__init__": __init__,
                "__annotations__": outputs,
                "__doc__": component.__doc__,
            }
        ),
    )
    declare(view, component, list(outputs))
    return typing.cast(type[pulumi.ComponentResource], view)
