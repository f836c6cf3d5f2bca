"""The consent form (the elements of 42 CFR 2.31), the revocation form, and the upload of the
signed scan."""

from __future__ import annotations

from flask import request
from flask_wtf.file import FileField, FileRequired
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.models import ConsentScope, RecipientKind, SignatureMethod
from portal.services.consents import DEFAULT_REVOCATION, ConsentData
from portal.web.forms import CheckboxListField, LocalDateField, PortalForm, as_id, choices

TEXT = Length(max=2000, message="Use at most 2,000 characters.")
NAME = Length(max=255, message="Use at most 255 characters.")


class ConsentForm(PortalForm):
    """A participant's written consent to disclose, as signed."""

    scopes = CheckboxListField(
        "What may be disclosed", choices=choices((s.value, s.label) for s in ConsentScope)
    )
    recipient_kind = RadioField(
        "Who may receive it",
        choices=choices((k.value, k.label) for k in RecipientKind),
        validators=[InputRequired("Choose who may receive it.")],
    )
    # The service checks the chosen agency or officer, with a message that says what to do.
    recipient_agency_id = SelectField("Agency", validators=[Optional()], validate_choice=False)
    recipient_officer_id = SelectField("Officer", validators=[Optional()], validate_choice=False)
    recipient_name = StringField("Prosecutor's office (name)", validators=[Optional(), NAME])
    provider_ids = CheckboxListField("Providers who may also disclose")
    purpose = TextAreaField(
        "Purpose of the disclosure",
        validators=[DataRequired("Enter the purpose of the disclosure."), TEXT],
        render_kw={"rows": 2},
    )
    revocation_terms = TextAreaField(
        "The right to revoke, and how",
        default=DEFAULT_REVOCATION,
        validators=[DataRequired("Enter how the participant may revoke it."), TEXT],
        render_kw={"rows": 2},
    )
    signed_on = LocalDateField(
        "Signed on", validators=[InputRequired("Enter the date it was signed.")]
    )
    signature_method = RadioField(
        "Signature",
        choices=choices((m.value, m.label) for m in SignatureMethod),
        validators=[InputRequired("Choose how it was signed.")],
    )
    expires_on = LocalDateField("Expires on", validators=[Optional()])
    expiry_event = StringField("Or expires at this event", validators=[Optional(), NAME])
    criminal_justice = BooleanField(
        "Criminal-justice consent (42 CFR 2.35): it cannot be revoked until a date or event"
    )
    irrevocable_until = LocalDateField("Irrevocable until", validators=[Optional()])
    irrevocable_event = StringField(
        "Or irrevocable until this event", validators=[Optional(), NAME]
    )

    def data_for_service(self) -> ConsentData:
        """The consent as the service checks it."""
        return ConsentData(
            scopes=list(self.scopes.data or []),
            recipient_kind=self.recipient_kind.data or "",
            purpose=self.purpose.data or "",
            signed_on=self.signed_on.data,
            signature_method=self.signature_method.data or "",
            recipient_agency_id=as_id(self.recipient_agency_id.data),
            recipient_officer_id=as_id(self.recipient_officer_id.data),
            recipient_name=self.recipient_name.data or "",
            provider_ids=[i for i in (as_id(v) for v in self.provider_ids.data or []) if i],
            revocation_terms=self.revocation_terms.data or "",
            expires_on=self.expires_on.data,
            expiry_event=self.expiry_event.data or "",
            criminal_justice=bool(self.criminal_justice.data),
            irrevocable_until=self.irrevocable_until.data,
            irrevocable_event=self.irrevocable_event.data or "",
        )


class RevokeForm(PortalForm):
    """The participant revoked a consent: when, and how the program heard of it."""

    revoked_on = LocalDateField("Revoked on", validators=[InputRequired("Enter the date.")])
    received = StringField(
        "How it was received",
        validators=[DataRequired("Say how the revocation was received."), NAME],
    )
    event_occurred = BooleanField("The event until which the consent was irrevocable has happened")


SCAN_TYPES = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"


class ConsentScanForm(PortalForm):
    """The signed scan of a consent. The browser's `accept` list only helps the person choose:
    the service recognises the file by its content."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            # The one form of the portal that takes a file (its view is marked `takes_files`).
            if formdata is _Auto:
                if request.method == "POST" and (request.files or request.form):
                    return CombinedMultiDict((request.files, request.form))
                return None
            return formdata

    file = FileField(
        "Signed scan (PDF, PNG or JPEG)",
        validators=[FileRequired("Choose the scan of the signed form.")],
        render_kw={"accept": SCAN_TYPES},
    )
