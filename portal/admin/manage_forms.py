"""Forms of the administrators' management screens: users, agencies, providers, settings."""

from __future__ import annotations

from flask import request
from flask_wtf.file import FileField, FileRequired
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.models import Role, ServiceCategory, ServiceKind, ServiceStatus, StaffRole
from portal.passwords import MAX_LENGTH
from portal.services.phones import MAX_LENGTH as PHONE_MAX
from portal.services.phones import phone_problem
from portal.services.settings import (
    MAX_AUDIT_RETENTION_DAYS,
    MAX_CASELOAD,
    MAX_CHARGE_FILING_DAYS,
    MIN_AUDIT_RETENTION_DAYS,
    MIN_CHARGE_FILING_DAYS,
)
from portal.web.directory_forms import AvailabilityForm, WholeNumberField
from portal.web.forms import CheckboxListField, PortalForm, as_id, choices


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def at_most(n: int) -> Length:
    """A length limit with a plain-language message."""
    return Length(max=n, message=f"Use at most {n:,} characters.")


def required(message: str, n: int) -> list:
    """A required field with a plain-language message."""
    return [DataRequired(message), at_most(n)]


def optional(n: int) -> list:
    """An optional field within a length limit."""
    return [Optional(), at_most(n)]


class StrippedForm(PortalForm):
    """Surrounding spaces are dropped from every text field, so "   " counts as empty."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField) and not issubclass(
                unbound_field.field_class, PasswordField
            ):
                filters = unbound_field.kwargs.get("filters", [])
                unbound_field.kwargs["filters"] = [_strip, *filters]
            return unbound_field.bind(form=form, **options)


class ActionForm(PortalForm):
    """A bare button (deactivate, reactivate) still carries the CSRF token."""


DUTIES = frozenset(r.value for r in StaffRole)


class UserForm(StrippedForm):
    """A new user: name, e-mail, role, affiliation and first password."""

    name = StringField("Full name", validators=required("Enter the person's name.", 120))
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter the email address."),
            Email("Enter an email address such as name@example.org."),
            at_most(255),
        ],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(
        "Role",
        choices=choices((r.value, r.label) for r in Role),
        validators=[DataRequired("Choose a role.")],
    )
    # Unknown values are refused with a message beside the field.
    staff_roles = CheckboxListField(
        "Program office duties",
        choices=choices((r.value, r.label) for r in StaffRole),
        validate_choice=False,
    )
    # Unknown ids reach the service, which answers with a message beside the field.
    agency_id = SelectField("Agency (officers)", validate_choice=False)
    organization_id = SelectField("Organisation (provider staff)", validate_choice=False)
    badge_number = StringField("Badge number (officers)", validators=optional(40))
    work_phone = StringField(
        "Work phone",
        validators=[
            Optional(),
            Length(max=PHONE_MAX, message=f"Use at most {PHONE_MAX} characters."),
        ],
        render_kw={"type": "tel", "autocomplete": "off"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter a password."), at_most(MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        "Repeat the password",
        validators=[EqualTo("password", "The two passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )

    def selected_id(self, name: str) -> int | None:
        value = getattr(self, name).data
        if not value:
            return None
        chosen = as_id(value)
        return -1 if chosen is None else chosen  # not an id: the service says which field to fix

    def chosen_staff_roles(self) -> frozenset[StaffRole]:
        return frozenset(StaffRole(v) for v in self.staff_roles.data or [] if v in DUTIES)

    def validate_work_phone(self, field) -> None:
        problem = phone_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_staff_roles(self, field) -> None:
        if any(v not in DUTIES for v in field.data or []):
            raise ValidationError("Choose duties from the list.")

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "email": self.email.data,
            "role": Role(self.role.data),
            "staff_roles": self.chosen_staff_roles(),
            "agency_id": self.selected_id("agency_id"),
            "organization_id": self.selected_id("organization_id"),
            "badge_number": self.badge_number.data,
            "work_phone": self.work_phone.data,
        }


class UserEditForm(UserForm):
    """An existing user: as a new one, plus active, with the password optional."""

    active = BooleanField("Active (may sign in)")
    password = PasswordField(
        "New password",
        validators=[Optional(), at_most(MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )


class InviteForm(UserForm):
    """A user invited by e-mail: the fields of a new user (the same rules), without the
    password, which the person chooses themselves from the link."""

    password = None
    password_confirm = None


class AgencyForm(StrippedForm):
    """An agency's name and short name."""

    name = StringField("Agency name", validators=required("Enter the agency's name.", 120))
    short_name = StringField("Short name", validators=optional(20))


class OrganizationForm(StrippedForm):
    """A provider organisation's name and contact details."""

    name = StringField(
        "Organisation name", validators=required("Enter the organisation's name.", 120)
    )
    description = TextAreaField("Description", validators=optional(4000), render_kw={"rows": 3})
    phone = StringField(
        "Phone", validators=optional(40), render_kw={"type": "tel", "autocomplete": "off"}
    )
    email = EmailField(
        "Email",
        validators=[
            Optional(),
            Email("Enter an email address such as info@example.org."),
            at_most(255),
        ],
    )
    website = URLField(
        "Website",
        validators=[
            Optional(),
            URL(message="Enter a web address such as https://example.org."),
            at_most(255),
        ],
    )
    address = StringField("Address", validators=optional(255))

    def values(self) -> dict:
        names = ("name", "description", "phone", "email", "website", "address")
        return {name: getattr(self, name).data for name in names}


class ServiceForm(StrippedForm, AvailabilityForm):
    """A service: its organisation, category, eligibility, schedule and capacity."""

    organization_id = SelectField(
        "Organisation",
        validators=[DataRequired("Choose the organisation.")],
        validate_choice=False,
    )
    name = StringField("Service name", validators=required("Enter the service's name.", 120))
    description = TextAreaField("Description", validators=optional(4000), render_kw={"rows": 3})
    category = SelectField(
        "Category",
        choices=choices(
            [("", "Choose a category"), *((c.value, c.label) for c in ServiceCategory)]
        ),
        validators=[DataRequired("Choose a category.")],
    )
    kind = SelectField(
        "Kind of service",
        choices=choices([("", "Choose the kind"), *((k.value, k.label) for k in ServiceKind)]),
        validators=[DataRequired("Choose the kind of service: episode, scheduled or drop-in.")],
    )
    eligibility = TextAreaField("Eligibility", validators=optional(4000), render_kw={"rows": 2})
    admission_criteria = TextAreaField(
        "Admission criteria (episodes)", validators=[at_most(4000)], render_kw={"rows": 3}
    )
    min_age = WholeNumberField(
        "Minimum age", validators=[Optional(), NumberRange(0, 120, "Enter an age from 0 to 120.")]
    )
    max_age = WholeNumberField(
        "Maximum age", validators=[Optional(), NumberRange(0, 120, "Enter an age from 0 to 120.")]
    )
    status = SelectField(
        "Status",
        choices=choices((s.value, s.label) for s in ServiceStatus),
        validators=[DataRequired("Choose a status.")],
    )

    def chosen_staff_roles(self) -> frozenset[StaffRole]:
        return frozenset(StaffRole(v) for v in self.staff_roles.data or [] if v in DUTIES)

    def validate_work_phone(self, field) -> None:
        problem = phone_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_staff_roles(self, field) -> None:
        if any(v not in DUTIES for v in field.data or []):
            raise ValidationError("Choose duties from the list.")

    def values(self) -> dict:
        return {
            "organization_id": as_id(self.organization_id.data),
            "name": self.name.data,
            "description": self.description.data,
            "category": self.category.data,
            "kind": self.kind.data,
            "eligibility": self.eligibility.data,
            "admission_criteria": (self.admission_criteria.data or "").splitlines(),
            "min_age": self.min_age.data,
            "max_age": self.max_age.data,
            "status": self.status.data,
            **self.availability(),
        }


class SettingsForm(PortalForm):
    """The program's rules: intake deadline, charge filing period, eligibility checklist,
    exclusion reasons, and how long audit records are kept."""

    intake_deadline_days = WholeNumberField(
        "Intake deadline (days after the referral)",
        validators=[
            InputRequired("Enter the number of days."),
            NumberRange(1, 365, "Enter a number of days from 1 to 365."),
        ],
    )
    charge_filing_days = WholeNumberField(
        "Charge filing period (days after the incident)",
        validators=[
            Optional(),  # left empty, the period stays as it is
            NumberRange(
                MIN_CHARGE_FILING_DAYS,
                MAX_CHARGE_FILING_DAYS,
                f"Enter a number of days from {MIN_CHARGE_FILING_DAYS} "
                f"to {MAX_CHARGE_FILING_DAYS:,}.",
            ),
        ],
    )
    eligibility_items = TextAreaField(
        "Eligibility checklist",
        validators=[
            DataRequired("Enter at least one checklist item, one per line."),
            at_most(20000),
        ],
        render_kw={"rows": 8},
    )
    exclusion_reasons = TextAreaField(
        "Exclusion reasons",
        validators=[
            DataRequired("Enter at least one exclusion reason, one per line."),
            at_most(20000),
        ],
        render_kw={"rows": 8},
    )

    audit_retention_days = WholeNumberField(
        "Keep audit records for (days)",
        validators=[
            Optional(),  # left empty, the retention stays as it is
            NumberRange(
                MIN_AUDIT_RETENTION_DAYS,
                MAX_AUDIT_RETENTION_DAYS,
                f"Enter a number of days from {MIN_AUDIT_RETENTION_DAYS:,} (six years) "
                f"to {MAX_AUDIT_RETENTION_DAYS:,}.",
            ),
        ],
    )

    caseload_guidance = WholeNumberField(
        "Caseload guidance (open cases per case manager)",
        validators=[
            Optional(),  # left empty, the guidance stays as it is
            NumberRange(1, MAX_CASELOAD, f"Enter a number of cases from 1 to {MAX_CASELOAD}."),
        ],
    )
    caseload_flag_over = WholeNumberField(
        "Flag a caseload over (open cases)",
        validators=[
            Optional(),  # left empty, the figure stays as it is
            NumberRange(1, MAX_CASELOAD, f"Enter a number of cases from 1 to {MAX_CASELOAD}."),
        ],
    )
    drop_in_visits_engage = BooleanField(
        "A named drop-in visit alone counts as engaged in services"
    )

    @staticmethod
    def lines(text: str | None) -> list[str]:
        return (text or "").splitlines()


class DirectoryFileForm(PortalForm):
    """A directory file to import (HSDS 3.0 JSON); its view is marked `takes_files`, and the
    service reads and checks the content."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto:
                if request.method == "POST" and (request.files or request.form):
                    return CombinedMultiDict((request.files, request.form))
                return None
            return formdata

    file = FileField(
        "Directory file (HSDS 3.0 JSON)",
        validators=[FileRequired("Choose the directory file to import.")],
        render_kw={"accept": "application/json,.json"},
    )
