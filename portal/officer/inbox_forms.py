"""Forms of the officer's inbox and notification settings."""

from __future__ import annotations

from wtforms import HiddenField, RadioField
from wtforms.validators import InputRequired, Optional, Regexp

from portal.models import NotificationMode
from portal.web.forms import PortalForm, choices

OUT_OF_DATE = "This page is out of date. Reload it and try again."


class MarkAllReadForm(PortalForm):
    """Marks read what the page showed: up to its newest notification."""

    up_to = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,9}$", message=OUT_OF_DATE)])

    @property
    def up_to_id(self) -> int | None:
        return int(self.up_to.data) if self.up_to.data else None


class NotificationSettingsForm(PortalForm):
    mode = RadioField(
        "How should updates on your referrals reach you by e-mail?",
        choices=choices((m.value, m.label) for m in NotificationMode),
        validators=[InputRequired("Choose how updates should reach you by e-mail.")],
    )
