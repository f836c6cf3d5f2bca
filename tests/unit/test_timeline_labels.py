"""Every kind of timeline entry reads as words on the office's timeline, never as its code."""

from __future__ import annotations

from portal.models import TimelineKind
from portal.services.timeline import STAFF_TEXT


def test_every_timeline_kind_has_the_offices_words():
    assert [k for k in TimelineKind if k not in STAFF_TEXT] == []
    assert all(STAFF_TEXT[k] and "_" not in STAFF_TEXT[k] for k in TimelineKind)
