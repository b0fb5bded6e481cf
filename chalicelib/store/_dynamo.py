"""What the DynamoDB repositories share: reading a pynamodb item into a record, a record's fields for a
model, and a create that refuses an existing key. No model is imported here (each repository module
imports only its own tables' models, so a function's IAM grants follow what it really reaches:
``infra/derive.py`` reads the import graph)."""
from __future__ import annotations

import dataclasses
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.store.conditions import AlreadyExists, ConditionFailed, is_condition_failure


def _plain(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _record(cls, item, *, deep: bool = False) -> Any:
    """A record of ``cls`` from a pynamodb item: the record's fields, read by name. ``deep``: maps
    and lists of maps inside made plain too (see ``_deep``), a missing one read as its default."""
    values = {}
    for f in dataclasses.fields(cls):
        if not hasattr(item, f.name):
            continue
        value = (_deep if deep else _plain)(getattr(item, f.name))
        if value is None and f.default is not dataclasses.MISSING:
            value = f.default
        elif value is None and deep and f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


def _fields(record) -> dict:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def _create(item, key_attr) -> None:
    try:
        item.save(condition=key_attr.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists(str(exc)) from None
        raise


def _get(model, *key, consistent: bool = True):
    """The item with ``key``, or None."""
    try:
        return model.get(*key, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def _update(item, *, actions: list, condition, refused: str):
    """``item.update`` under ``condition``; a refused condition is ``ConditionFailed(refused)``.
    The item carries the record as written (DynamoDB returns it)."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise ConditionFailed(refused) from None
        raise
    return item


def _deep(value: Any) -> Any:
    """A pynamodb value as plain Python all the way down: maps as dicts, a list as a tuple of plain
    values (lists inside stay lists), whole floats as ints."""
    value = _deep_inner(value)
    return tuple(value) if isinstance(value, list) else value


def _deep_inner(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, dict):
        return {k: _deep_inner(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_deep_inner(v) for v in value]
    return value


def _deep_record(cls, item) -> Any:
    """A record of ``cls`` from a pynamodb item, maps and lists of maps made plain (see ``_deep``)."""
    return _record(cls, item, deep=True)


def _set_or_remove(model, changes: dict) -> list:
    """Update actions for ``changes``: a value sets the attribute, None removes it. Tuples are
    written as lists."""
    return [getattr(model, name).remove() if value is None
            else getattr(model, name).set(list(value) if isinstance(value, tuple) else value)
            for name, value in changes.items()]
