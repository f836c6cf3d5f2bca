"""The health check's own row: /healthz rewrites it, proving the database takes writes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base

# The one row there is.
HEALTH_ROW_ID = 1


class HealthCheck(Base):
    """When a health check last wrote to the database (nothing else reads or writes it)."""

    __tablename__ = "health_checks"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    checked_at: Mapped[dt.datetime]
