"""Kind registries (cyder/model/kinds.py) on a throwaway package of pets: discovery by folder, the
order of kinds, the lazily built union in a document, its schema and errors, adding a kind for a
test, and the "did you mean" messages inside a kind."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Literal, Union

import pytest
from pydantic import Field, ValidationError

from cyder.model.kinds import KindModel, KindRegistry
from cyder.model.load import validate_partially
from cyder.model.range import Strict
from cyder.model.yamlsource import parse_yaml

PACKAGE = {
    "__init__.py": '''
        from typing import Annotated
        from pydantic import ConfigDict
        from cyder.model.kinds import KindModel, KindRegistry, KindUnion
        from cyder.model.range import Strict

        class Pet(Strict, KindModel):
            """Base of the pets."""

        PETS = KindRegistry("pet", __name__)

        class Home(Strict):
            """A document holding pets."""
            model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
            name: str
            pets: list[Annotated[Pet, KindUnion(PETS)]] = []

        PETS.depends(Home)
        ''',
    "dog.py": '''
        from typing import ClassVar, Literal
        from . import PETS, Pet

        @PETS.register
        class Dog(Pet):
            """A dog."""
            kind: Literal["dog"] = "dog"
            legs: int = 4
            order: ClassVar[int] = 20
        ''',
    "cat.py": '''
        from typing import ClassVar, Literal
        from . import PETS, Pet

        @PETS.register
        class Cat(Pet):
            """A cat."""
            kind: Literal["cat"] = "cat"
            lives: int = 9
            order: ClassVar[int] = 10
        ''',
    "bird.py": '''
        from typing import Literal
        from . import PETS, Pet

        @PETS.register
        class Bird(Pet):
            """A bird (no order: after the others)."""
            kind: Literal["bird"] = "bird"
            wings: int = 2
        ''',
    "_helpers.py": 'raise AssertionError("modules named _* are not kinds and are never imported")\n',
}


@pytest.fixture
def pets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """A fresh package of pet kinds (its own name per test), imported from tmp_path."""
    name = f"throwaway_pets_{abs(hash(request.node.nodeid))}"
    folder = tmp_path / name
    folder.mkdir()
    for file, text in PACKAGE.items():
        (folder / file).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    package = __import__(name)
    yield package
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def test_discovery_imports_every_module_and_orders_the_kinds(pets) -> None:
    registry = pets.PETS
    assert registry.kinds() == ("cat", "dog", "bird")  # by order, then tag; _helpers.py never imported
    assert [cls.__name__ for cls in registry.models()] == ["Cat", "Dog", "Bird"]
    assert registry.model_for("dog").__name__ == "Dog"
    assert registry.model_for("fish") is None


def test_a_tag_defined_twice_is_an_error(pets) -> None:
    registry = pets.PETS
    registry.discover()

    class OtherDog(pets.Pet):
        kind: Literal["dog"] = "dog"

    with pytest.raises(TypeError, match="'dog' is defined twice"):
        registry.register(OtherDog)

    class Nameless(pets.Pet):
        pass

    with pytest.raises(TypeError, match="needs a field `kind"):
        registry.register(Nameless)


def test_the_document_holds_any_registered_kind(pets) -> None:
    home = pets.Home.model_validate({"name": "h", "pets": [{"kind": "dog", "legs": 3}, {"kind": "bird"}]})
    assert [type(p).__name__ for p in home.pets] == ["Dog", "Bird"]
    assert home.pets[0].legs == 3
    assert pets.PETS.parse({"kind": "cat"}).lives == 9


def test_errors_name_the_kinds_in_order(pets) -> None:
    with pytest.raises(ValidationError) as caught:
        pets.Home.model_validate({"name": "h", "pets": [{"kind": "fish"}]})
    error = caught.value.errors()[0]
    assert error["type"] == "union_tag_invalid" and error["ctx"]["expected_tags"] == "'cat', 'dog', 'bird'"
    with pytest.raises(ValidationError) as caught:
        pets.Home.model_validate({"name": "h", "pets": [{"kind": "dog", "legs": "four"}]})
    assert caught.value.errors()[0]["loc"] == ("pets", 0, "dog", "legs")


def test_the_schema_is_that_of_a_static_discriminated_union(pets) -> None:
    models = pets.PETS.models()

    class StaticHome(Strict):
        """A document holding pets."""

        name: str
        pets: list[Annotated[Union[models], Field(discriminator="kind")]] = []  # noqa: UP007

    ours = pets.Home.model_json_schema()
    static = StaticHome.model_json_schema()
    static["title"] = ours["title"]
    assert json.dumps(ours, sort_keys=True) == json.dumps(static, sort_keys=True)
    assert list(ours["$defs"]) == ["Bird", "Cat", "Dog"]


def test_a_kind_added_for_a_while_is_accepted_then_refused_again(pets) -> None:
    class Fish(pets.Pet):
        """A fish."""

        kind: Literal["fish"] = "fish"
        fins: int = 2

    with pets.PETS.temporarily(Fish):
        home = pets.Home.model_validate({"name": "h", "pets": [{"kind": "fish", "fins": 4}]})
        assert type(home.pets[0]) is Fish
        assert pets.PETS.kinds() == ("cat", "dog", "bird", "fish")
        assert "Fish" in pets.Home.model_json_schema()["$defs"]
    assert pets.PETS.kinds() == ("cat", "dog", "bird")
    with pytest.raises(ValidationError):
        pets.Home.model_validate({"name": "h", "pets": [{"kind": "fish"}]})


def test_did_you_mean_looks_inside_the_kind_the_value_names(pets) -> None:
    data, smap = parse_yaml(b"name: h\npets:\n  - {kind: dog, leg: 3}\n  - {kind: cat, live: 1}\n", "home.yaml")
    partial = validate_partially(pets.Home, data, smap, "home")
    assert [(p.line, p.field, p.message) for p in partial.problems] == [
        (3, "pets[0].leg", "unknown field; did you mean legs?"),
        (4, "pets[1].live", "unknown field; did you mean lives?"),
    ]


def test_a_single_kind_needs_no_union(pets) -> None:
    registry: KindRegistry[KindModel] = KindRegistry("lonely", pets.__name__)  # none of its modules registers here

    class Only(Strict, KindModel):
        kind: Literal["only"] = "only"

    registry.register(Only)
    assert registry.union() is Only
    with pytest.raises(TypeError, match="no empty kind is registered"):
        KindRegistry("empty", pets.__name__).union()
