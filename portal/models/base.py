"""Declarative base, naming convention and column types shared by every model."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from sqlalchemy import JSON, DateTime, Enum, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry

from portal.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC on every engine (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow)]
str40 = Annotated[str, 40]
str120 = Annotated[str, 120]
str255 = Annotated[str, 255]


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            dt.datetime: UTCDateTime,
            str40: String(40),
            str120: String(120),
            str255: String(255),
            dict: JSON,
            list: JSON,
        },
    )


def enum_type(enum_cls: type[enum.Enum], name: str | None = None) -> Enum:
    """A portable enum column: stored as its string value, checked by a named constraint.

    Two columns of one table with the same enum need distinct `name`s: PostgreSQL refuses two
    check constraints of the same name on a table.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
        create_constraint=True,
        name=name or enum_cls.__name__.lower(),
    )
