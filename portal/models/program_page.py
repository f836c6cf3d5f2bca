"""The program's public description and the officers' hand-off text (a single row)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, intpk, str120, str255, utcnow


class ProgramPage(Base):
    """What the public page and the officers' resource page say about the program: its name,
    description, goals, how referral works, the program contact, the on-call number and what an
    officer tells the person. Plain text with simple formatting (paragraphs, "- " lists, **bold**);
    never HTML. Until an administrator saves it, the program's own description is shown."""

    __tablename__ = "program_pages"

    id: Mapped[intpk]
    name: Mapped[str120]
    description: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    how_referral_works: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str120] = mapped_column(default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str255] = mapped_column(default="")
    on_call_phone: Mapped[str] = mapped_column(String(40), default="")
    handoff_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
