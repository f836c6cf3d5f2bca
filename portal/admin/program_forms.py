"""The form of the program's page: its public text, contact, and the officers' hand-off text."""

from __future__ import annotations

from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from portal.services.phones import phone_problem
from portal.services.program_page import DEFAULTS, LIMITS
from portal.web.forms import PortalForm


def _limit(field: str) -> Length:
    return Length(max=LIMITS[field], message=f"Use at most {LIMITS[field]:,} characters.")


def _phone(_form, field) -> None:
    problem = phone_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class ProgramPageForm(PortalForm):
    """Plain text with simple formatting: paragraphs, "- " lists, **bold**; never HTML."""

    name = StringField(
        "Program name", validators=[DataRequired("Enter the program name."), _limit("name")]
    )
    description = TextAreaField(
        "Description",
        validators=[DataRequired("Enter the description."), _limit("description")],
        render_kw={"rows": 8},
    )
    goals = TextAreaField("Goals", validators=[_limit("goals")], render_kw={"rows": 8})
    how_referral_works = TextAreaField(
        "How referral works", validators=[_limit("how_referral_works")], render_kw={"rows": 6}
    )
    contact_name = StringField("Contact name", validators=[_limit("contact_name")])
    contact_phone = StringField(
        "Contact phone", validators=[_limit("contact_phone"), _phone], render_kw={"type": "tel"}
    )
    contact_email = EmailField(
        "Contact e-mail",
        validators=[
            Optional(),
            Email("Enter an e-mail address such as lead@example.org."),
            _limit("contact_email"),
        ],
    )
    on_call_phone = StringField(
        "On-call number (for officers)",
        validators=[_limit("on_call_phone"), _phone],
        render_kw={"type": "tel"},
    )
    handoff_text = TextAreaField(
        "What to tell the person (for officers)",
        validators=[_limit("handoff_text")],
        render_kw={"rows": 6},
    )

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in DEFAULTS}
