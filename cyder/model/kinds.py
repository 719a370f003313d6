"""Kind registries: one class per kind of thing a document names by a tag (`kind: dns`).

A document holds a list of things of several kinds (a host's services, a scenario's steps, a
rubric's checks), each written in YAML as a mapping with a tag (`kind: dns`). Each kind is one
class: its pydantic parameter model, which is at once the registry entry, with its facts as
ClassVars and its behaviour as methods. A `KindRegistry` maps the tags to those classes.

The documents live in the model layer, the kinds' behaviour in the layers above it (a service
kind plans its daemon, cyder/services/), so the model never imports the kinds. A document's field
is declared with the `KindUnion` marker instead, `list[Annotated[ServiceParams, KindUnion(SERVICES)]]`,
and the discriminated union of the registered classes is built when pydantic first needs the
schema: the registry then imports every module of its package (`discover`), and each module
registers its classes. The models holding such a field set `defer_build=True` and are named to
the registry (`depends`), which rebuilds them when its kinds change (`temporarily`, for tests).

The union's members, and so the tags listed in messages ("the kinds are dns, smtp, ...") and the
JSON Schema, follow each class's `order`, then its tag.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union

from pydantic import BaseModel, Field, GetCoreSchemaHandler, TypeAdapter
from pydantic_core import CoreSchema, core_schema


class KindModel(BaseModel):
    """Base of a kind's parameter model: its tag field (`kind: Literal["dns"]`) is the YAML tag.

    Documents' kinds also derive from range.Strict (unknown fields are errors, models frozen)."""

    order: ClassVar[int] = 1000
    """Position among the registry's kinds, in messages, schemas and docs (lower first)."""


M = TypeVar("M", bound=KindModel)


class KindRegistry(Generic[M]):
    """The kinds of one sort of thing, by tag, found by importing the modules of one package."""

    def __init__(self, what: str, package: str, tag: str = "kind") -> None:
        self.what = what
        """What a kind is, in words ("service")."""
        self.package = package
        """The package whose modules define the kinds (every module but those named `_*`)."""
        self.tag = tag
        """The field that holds the tag."""
        self._kinds: dict[str, type[M]] = {}
        self._dependents: list[type[BaseModel]] = []
        self._discovered = False
        self._discovering = False
        self._lock = threading.RLock()
        self._adapter: TypeAdapter[Any] | None = None

    def __repr__(self) -> str:
        return f"KindRegistry({self.what!r}, {self.package!r})"

    def tag_of(self, cls: type[KindModel]) -> str:
        """The tag a kind's class declares (the one value of its `Literal` tag field)."""
        field = cls.model_fields.get(self.tag)
        values = typing.get_args(field.annotation) if field is not None else ()
        if len(values) != 1 or not isinstance(values[0], str):
            raise TypeError(f"{cls.__name__} is no {self.what} kind: it needs a field "
                            f"`{self.tag}: Literal[\"...\"]` with one tag")
        return values[0]

    def register(self, cls: type[M]) -> type[M]:
        """Add a kind (a class decorator). TypeError when another class has the same tag."""
        tag = self.tag_of(cls)
        other = self._kinds.get(tag)
        if other is not None and other is not cls:
            raise TypeError(f"{self.what} kind {tag!r} is defined twice: by {other.__module__}.{other.__name__} "
                            f"and {cls.__module__}.{cls.__name__}")
        self._kinds[tag] = cls
        self._adapter = None
        return cls

    def depends(self, *models: type[BaseModel]) -> None:
        """Name the models whose schema holds this registry's union, innermost first (Host, then
        Range), so that a change of kinds rebuilds them."""
        self._dependents += [m for m in models if m not in self._dependents]

    def discover(self) -> None:
        """Import every module of the package once, so that each registers its kinds (another
        thread waits until they have; a kind module that asks for the kinds meanwhile sees those
        registered so far)."""
        if self._discovered:
            return
        with self._lock:
            if self._discovered or self._discovering:
                return
            self._discovering = True
            try:
                package = importlib.import_module(self.package)
                for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                    if not info.name.startswith("_"):
                        importlib.import_module(f"{self.package}.{info.name}")
                self._discovered = True
            finally:
                self._discovering = False

    def models(self) -> tuple[type[M], ...]:
        """Every kind's class, by order, then tag."""
        self.discover()
        return tuple(sorted(self._kinds.values(), key=lambda cls: (cls.order, self.tag_of(cls))))

    def kinds(self) -> tuple[str, ...]:
        """Every tag, in the order of `models`."""
        return tuple(self.tag_of(cls) for cls in self.models())

    def model_for(self, tag: str) -> type[M] | None:
        """The class of a tag, or None when no kind has it."""
        self.discover()
        return self._kinds.get(tag)

    def union(self) -> Any:
        """The type a document's field holds: the discriminated union of every kind (the one kind's
        class when there is only one)."""
        models = self.models()
        if not models:
            raise TypeError(f"no {self.what} kind is registered (none found in {self.package})")
        if len(models) == 1:
            return models[0]
        return Annotated[Union[models], Field(discriminator=self.tag)]  # noqa: UP007 - a tuple of classes

    def parse(self, data: object) -> M:
        """Validate a mapping as whichever kind its tag names (pydantic's ValidationError if none)."""
        if self._adapter is None:
            self._adapter = TypeAdapter(self.union())
        parsed: M = self._adapter.validate_python(data)
        return parsed

    def rebuild(self) -> None:
        """Rebuild the dependent models, so that they hold the kinds registered now."""
        self._adapter = None
        for model in self._dependents:
            model.model_rebuild(force=True)

    @contextmanager
    def temporarily(self, *extra: type[M]) -> Iterator[None]:
        """Add kinds for the time of a `with` block (a test's throwaway kind), then remove them;
        the dependent models are rebuilt on the way in and out."""
        self.discover()
        added: list[type[M]] = []
        try:
            for cls in extra:
                if self.model_for(self.tag_of(cls)) is not cls:
                    self.register(cls)
                    added.append(cls)
            self.rebuild()
            yield
        finally:
            for cls in added:
                del self._kinds[self.tag_of(cls)]
            self.rebuild()


class KindUnion:
    """`Annotated` metadata: the field holds one of a registry's kinds, chosen by its tag.

    The union is built when pydantic builds the containing model, so the model's module needs no
    import of the kinds (see the module's docstring)."""

    def __init__(self, registry: KindRegistry[Any]) -> None:
        self.registry = registry

    def __repr__(self) -> str:
        return f"KindUnion({self.registry!r})"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """The schema of the registry's union, in place of the annotated base class."""
        return handler(self.registry.union())

    def model_at(self, node: object) -> type[BaseModel] | None:
        """The kind a value is (by its tag), for walking data against the model: the first kind when
        the tag names none, None when the value is no mapping."""
        if not isinstance(node, dict):
            return None
        tag = node.get(self.registry.tag)
        found = self.registry.model_for(tag) if isinstance(tag, str) else None
        return found if found is not None else self.registry.models()[0]


class KindTag:
    """`Annotated` metadata on the tag field of a flat model (one model with every kind's fields,
    `check: Annotated[str, KindTag(PRECONDITIONS)]`): the value is one of the registry's tags.

    It validates, and shows in the JSON Schema, as the `Literal` of the tags in the registry's
    order would, built when first needed. See AsKind for the field that holds such a model."""

    def __init__(self, registry: KindRegistry[Any]) -> None:
        self.registry = registry

    def __repr__(self) -> str:
        return f"KindTag({self.registry!r})"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """A literal of every tag."""
        return core_schema.literal_schema(list(self.registry.kinds()))


class AsKind:
    """`Annotated` metadata on a field holding a flat model whose kinds are its subclasses (each
    narrowing the tag field to its `Literal`): the value is validated as the flat model, so the
    schema, the messages and what is accepted stay the flat model's, and is then made an instance of
    the kind its tag names, which brings the kind's behaviour."""

    def __init__(self, registry: KindRegistry[Any]) -> None:
        self.registry = registry

    def __repr__(self) -> str:
        return f"AsKind({self.registry!r})"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """The flat model's schema, followed by the change to the kind's class."""
        return core_schema.no_info_after_validator_function(self.as_kind, handler(source))

    def as_kind(self, value: Any) -> Any:
        """The value as an instance of its kind's class (as it is when it already is one, or when
        no kind has its tag)."""
        found = self.registry.model_for(getattr(value, self.registry.tag, None) or "")
        if found is None or isinstance(value, found):
            return value
        return found.model_validate(value.model_dump(by_alias=True, exclude_unset=True))
