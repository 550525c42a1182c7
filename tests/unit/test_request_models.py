"""Issue 6 part 2: every request body model the resolvers use, and every model nested in one, follows one policy
(docs/decisions.md, strict request types): unknown members refused, strict types, and only dates and date-times (which
JSON carries as strings) parsed from strings. The models are found from the handlers, so a new one cannot drift."""

from __future__ import annotations

import importlib
import inspect
import typing
from datetime import date, datetime

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, Strict, ValidationError

from shared.domain.models import JsonDate, JsonDateTime
from shared.routes import ROUTES


def _models_in(annotation) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        found.add(annotation)
        for field in annotation.model_fields.values():
            found |= _models_in(field.annotation)
    for argument in typing.get_args(annotation):
        found |= _models_in(argument)
    return found


def request_body_models() -> set[type[BaseModel]]:
    models: set[type[BaseModel]] = set()
    for function in sorted({r.function for r in ROUTES}):  # the functions with a resolver
        module = importlib.import_module(f"functions.{function}.handler")
        for view in vars(module).values():
            if not inspect.isfunction(view) or view.__module__ != module.__name__:
                continue
            for hint in typing.get_type_hints(view, include_extras=True).values():
                if typing.get_origin(hint) is typing.Annotated and any(isinstance(m, Body) for m in hint.__metadata__):
                    models |= _models_in(typing.get_args(hint)[0])
    return models


MODELS = sorted(request_body_models(), key=lambda m: m.__name__)


def test_the_body_models_are_found():
    names = {m.__name__ for m in MODELS}
    assert {"RegisterRequest", "PersonalInfo", "CheckinRequest", "EvidenceRequest", "ActivityInput", "ActivityPatch",
            "RecordEntry", "Decision", "Rejection", "ApplicationRequest"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_request_body_model_refuses_unknown_members_and_is_strict(model):
    assert model.model_config.get("extra") == "forbid", f"{model.__name__}: unknown members must be refused"
    assert model.model_config.get("strict") is True, f"{model.__name__}: types must be strict"
    for name, field in model.model_fields.items():
        lenient = any(isinstance(m, Strict) and not m.strict for m in field.metadata)
        temporal = {a for a in typing.get_args(field.annotation) or (field.annotation,)} & {date, datetime}
        assert not lenient or temporal, f"{model.__name__}.{name}: only dates may be parsed leniently"
        if temporal:  # a date in JSON is a string: strict as the model is, it must still parse
            text = "2026-12-05T10:00:00+09:00" if datetime in temporal else "1990-01-01"
            try:
                model.model_validate({name: text})
            except ValidationError as error:
                assert not [e for e in error.errors() if e["loc"][:1] == (name,)], (model.__name__, name, error)


@pytest.mark.parametrize("alias", [JsonDate, JsonDateTime])
def test_json_dates_parse_from_strings_but_not_from_numbers(alias):
    from pydantic import TypeAdapter

    adapter = TypeAdapter(alias)
    assert adapter.validate_python("2026-12-05").isoformat().startswith("2026-12-05")
    for number in (20261205, 1_764_900_000, True):
        with pytest.raises(ValidationError):
            adapter.validate_python(number)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_no_boolean_member_takes_a_string(model):
    """"no" is not false (R-ORG-2: the prefecture co-registration is a consent)."""
    for name, field in model.model_fields.items():
        if bool in (typing.get_args(field.annotation) or (field.annotation,)):
            with pytest.raises(ValidationError) as refused:
                model.model_validate({name: "no"})
            assert any(e["loc"] == (name,) and e["type"] == "bool_type" for e in refused.value.errors()), name
