"""The officer's inbox (updates on their referrals), its unread count in the header, and the
choice of e-mail."""

from __future__ import annotations

from flask import current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal.auth.forms import EmptyForm
from portal.auth.permissions import get_notification_or_404
from portal.extensions import db
from portal.models import Notification, NotificationMode, TimelineKind
from portal.officer import bp
from portal.officer.inbox_forms import OUT_OF_DATE, MarkAllReadForm, NotificationSettingsForm
from portal.policy import can_see_held_charge
from portal.services import cases
from portal.services import inbox as inbox_service
from portal.services.disclosures import REDISCLOSURE_NOTICE
from portal.services.notifications import notification_mode, set_notification_mode
from portal.web.changes import answer, run_change, save_page
from portal.web.htmx import is_htmx, render, render_blocks

INBOX = "officer/inbox.html"
SETTINGS = "officer/notification_settings.html"


def unread_label(count: int) -> str:
    """The header's count: nothing, a number, or "99+" (the count reads no further)."""
    if count > inbox_service.UNREAD_CAP:
        return f"{inbox_service.UNREAD_CAP}+"
    return str(count) if count else ""


def unread_notifications() -> str:
    """The header's unread label (counted once per request)."""
    if "unread_label" not in g:
        g.unread_label = unread_label(inbox_service.unread_count(current_user))
    return g.unread_label


def returned_charge(notification: Notification) -> cases.HeldCharge | None:
    """The charge held for a referral returned for non-compliance, for the officer who made
    it: what they need to decide whether to file it, and by when."""
    if notification.kind != TimelineKind.CASE_NON_COMPLIANT:
        return None
    if not can_see_held_charge(current_user, notification.case):
        return None
    return cases.held_charge(notification.case)


@bp.context_processor
def officer_globals():
    """The header's unread count, on every officer page."""
    return {"unread_notifications": unread_notifications, "returned_charge": returned_charge}


@bp.get("/inbox/unread")
def unread_count():
    """The header's unread count, polled (the `X-Portal-Poll` header: no audit row, and not
    activity that keeps a session alive)."""
    if not is_htmx():
        return redirect(url_for("officer.inbox"))
    return render_blocks(INBOX, ["unread"], unread=unread_notifications())


def _page(before: int | None = None, **extra):
    page = inbox_service.inbox_page(current_user, before, current_app.config["PAGE_SIZE"])
    if page.recorded:
        db.session.commit()  # what the page disclosed is on record before the page leaves
    return {
        "page": page,
        "notice": REDISCLOSURE_NOTICE,
        "mark_all": MarkAllReadForm(formdata=None, up_to=page.newest_id),
        **extra,
    }


@bp.get("/inbox")
def inbox():
    """Updates on the officer's referrals, newest first; older ones a page at a time."""
    before = request.args.get("before", type=int)
    if before is not None and before <= 0:
        before = None
    if before is not None and is_htmx():
        return render_blocks(INBOX, ["older"], **_page(before))
    return render(INBOX, **_page(before))


def _load(notification_id: int) -> Notification:
    return get_notification_or_404(
        notification_id,
        current_user,
        joinedload(Notification.case),
        joinedload(Notification.entry),
    )


def _refused(status: int, error: str | None):
    """The inbox again with the refusal above it (its list, for htmx)."""
    return render(INBOX, block="results", status=status, **_page(error=error or OUT_OF_DATE))


@bp.post("/inbox/<int:notification_id>/read")
def mark_read(notification_id: int):
    """Mark one update read: the item and the header's count again (htmx), or the inbox."""
    notification = _load(notification_id)

    def done(_result):
        return answer(
            "Marked as read.",
            url_for("officer.inbox"),
            lambda: render_blocks(
                INBOX,
                ["item", "unread_oob"],
                n=notification,
                unread=unread_notifications(),
            ),
        )

    return run_change(
        EmptyForm(),
        lambda: inbox_service.mark_read(current_user, notification),
        refused=_refused,
        done=done,
    )


@bp.post("/inbox/<int:notification_id>/open")
def open_notification(notification_id: int):
    """Open the update's case, marking it read (htmx follows `HX-Redirect`)."""
    notification = _load(notification_id)
    target = url_for("officer.case_detail", case_id=notification.case_id)

    def done(_result):
        if is_htmx():
            response = current_app.response_class(status=204)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target, 303)

    return run_change(
        EmptyForm(),
        lambda: inbox_service.mark_read(current_user, notification),
        refused=_refused,
        done=done,
    )


@bp.post("/inbox/read-all")
def mark_all_read():
    """Mark read every update there was when the page was shown (one that arrived since stays
    unread)."""
    form = MarkAllReadForm()

    def done(count: int):
        message = "Nothing was unread." if not count else "All updates marked as read."
        return answer(
            message,
            url_for("officer.inbox"),
            lambda: render_blocks(
                INBOX,
                ["results", "unread_oob"],
                **_page(message=message),
                unread=unread_notifications(),
            ),
        )

    return run_change(
        form,
        lambda: inbox_service.mark_all_read(current_user, form.up_to_id),
        refused=_refused,
        done=done,
    )


@bp.route("/settings/notifications", methods=["GET", "POST"])
def notification_settings():
    """How updates reach the officer by e-mail: each at once, a daily digest, or none."""
    form = NotificationSettingsForm(formdata=None)
    if request.method == "GET":
        form.mode.data = notification_mode(current_user).value
        return render(SETTINGS, form=form)
    form = NotificationSettingsForm()
    return save_page(
        form,
        lambda: set_notification_mode(current_user, NotificationMode(form.mode.data)),
        lambda error: render(SETTINGS, form=form, error=error),
        "Your notification settings are saved.",
        lambda _mode: url_for("officer.notification_settings"),
    )
