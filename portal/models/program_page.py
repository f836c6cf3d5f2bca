"""The program's public description and the officers' hand-off text (a single row)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, intpk, str120, str255, utcnow

if TYPE_CHECKING:
    from portal.models.user import User


class ProgramPage(Base):
    """What the public page and the officers' resource page say about the program: its name,
    description, goals, how referral works, the program contact, the on-call number and what an
    officer tells the person. Plain text with simple formatting (paragraphs, "- " lists, **bold**);
    never HTML. Until an administrator saves it, the program's own description is shown."""

    __tablename__ = "program_pages"
    # One page: its row is always id 1, so two first saves at once cannot make two.
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1, autoincrement=False)
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


class ProgramPageChange(Base):
    """One save of the program's page that changed it: who, when and which fields (by name;
    the text itself is the page's). Only ever added: the page's history."""

    __tablename__ = "program_page_changes"

    id: Mapped[intpk]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    fields: Mapped[list] = mapped_column(default=list)

    user: Mapped[User] = relationship()
