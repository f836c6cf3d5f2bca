"""The compliance review queue (dismiss or confirm a flag) and the program's rules.

A flag is the office's alone: these pages are behind the office's role gate and the policy's
`can_review_compliance` / `can_manage_settings`; nothing here is shown to officers or providers.
"""

from __future__ import annotations

from flask import Response, abort, current_app, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal import policy
from portal.admin import bp
from portal.admin.compliance_forms import ConfirmForm, DismissForm, rule_form
from portal.auth.permissions import allowed_for, get_flag_or_404
from portal.auth.reauth import fresh_auth_required
from portal.models import Case, ComplianceFlag, RuleCode
from portal.policy import can_manage_settings, can_review_compliance
from portal.services import compliance
from portal.services.compliance_review import (
    ReviewPage,
    confirm_flag,
    dismiss_flag,
    open_flag_count,
    review_item,
    review_page,
)
from portal.services.settings import get_settings
from portal.web.changes import answer, run_change
from portal.web.htmx import is_htmx, render, render_blocks

QUEUE = "admin/review.html"
ITEM = "admin/review_item.html"
DECIDED = "admin/review_decided.html"
RULES = "admin/rules.html"
FLAG_OPTIONS = (joinedload(ComplianceFlag.case).joinedload(Case.person),)


@bp.context_processor
def review_nav() -> dict:
    """The number beside the review queue's link (counted only when a page's nav shows it)."""
    return {"review_open_count": lambda: open_flag_count(current_user)}


def _require_reviewer() -> None:
    if not can_review_compliance(current_user):
        abort(403)


def _forms(item, **overrides) -> dict:
    """The dismiss and confirm forms of one flag, carrying its version (or as submitted)."""
    version = item.flag.version
    return {
        "dismiss_form": overrides.get("dismiss_form")
        or DismissForm(formdata=None, version=version),
        "confirm_form": overrides.get("confirm_form")
        or ConfirmForm(formdata=None, version=version),
    }


@bp.get("/review")
@allowed_for(policy.can_review_compliance)
def review_queue():
    """Open compliance flags, oldest first, keyset-paged, each with what a reviewer needs."""
    _require_reviewer()
    after = request.args.get("after")
    page = review_page(current_user, after, current_app.config["PAGE_SIZE"])
    return render(
        QUEUE,
        block="results",
        page=page,
        forms={item.flag.id: _forms(item) for item in page.items},
        errors={},
        first_page=not after,
        single=False,
    )


def _load(flag_id: int) -> ComplianceFlag:
    return get_flag_or_404(flag_id, current_user, *FLAG_OPTIONS)


def _item(flag_id: int, status: int, error: str | None = None, **overrides) -> Response:
    """One flag as it stands now, with a refusal: its fragment (htmx), or a page of it alone."""
    item = review_item(current_user, _load(flag_id))
    context = {"item": item, "error": error, **_forms(item, **overrides)}
    if is_htmx():
        return render_blocks(ITEM, ["item"], status=status, **context)
    return render(
        QUEUE,
        status=status,
        page=ReviewPage([item], None),
        forms={item.flag.id: _forms(item, **overrides)},
        errors={item.flag.id: error},
        first_page=False,
        single=True,
    )


def _decided(flag_id: int, message: str) -> Response:
    """The flag's place in the queue after a decision, and the queue's count (out of band)."""
    return render(DECIDED, flag=_load(flag_id), message=message)


def _decide(flag_id: int, form, change, message: str) -> Response:
    def refused(status: int, error: str | None) -> Response:
        key = "dismiss_form" if isinstance(form, DismissForm) else "confirm_form"
        return _item(flag_id, status, error or form.hidden_errors, **{key: form})

    def done(_) -> Response:
        return answer(message, url_for("admin.review_queue"), lambda: _decided(flag_id, message))

    return run_change(form, change, refused=refused, done=done)


@bp.post("/review/<int:flag_id>/dismiss")
@allowed_for(policy.can_review_compliance)
def dismiss(flag_id: int):
    """No action on this breach, for the reason given; the case stays as it is."""
    flag = _load(flag_id)
    form = DismissForm()
    return _decide(
        flag_id,
        form,
        lambda: dismiss_flag(flag, current_user, form.reason.data or "", form.version_number),
        "Flag dismissed. The case is unchanged and nobody outside the office was told.",
    )


@bp.post("/review/<int:flag_id>/confirm")
@allowed_for(policy.can_review_compliance)
@fresh_auth_required
def confirm(flag_id: int):
    """Confirmed: the case is closed as non-compliant (its places released)."""
    flag = _load(flag_id)
    form = ConfirmForm()
    return _decide(
        flag_id,
        form,
        lambda: confirm_flag(flag, current_user, form.version_number),
        "Non-compliance confirmed. The case is closed as non-compliant.",
    )


# --- the program's rules ------------------------------------------------------------------------


def _rules_context(**overrides) -> dict:
    rules = compliance.ordered_rules()
    forms = {
        r.code: overrides.get(r.code) or rule_form(r.code, enabled=r.enabled, parameter=r.parameter)
        for r in rules
    }
    return {
        "rules": rules,
        "rule_forms": forms,
        "intake_days": get_settings().intake_deadline_days,
    }


@bp.get("/settings/rules")
@allowed_for(policy.can_manage_settings)
def rules():
    """The program's rules: what raises a compliance flag for review."""
    if not can_manage_settings(current_user):
        abort(403)
    return render(RULES, **_rules_context(), messages={}, errors={})


@bp.post("/settings/rules/<any(intake_deadline, no_contact, missed_sessions):code>")
@allowed_for(policy.can_manage_settings)
def update_rule(code: str):
    """Switch one rule and set its N; the change is audited."""
    if not can_manage_settings(current_user):
        abort(403)
    rule_code = RuleCode(code)
    form = rule_form(rule_code, submitted=True)

    def refused(status: int, error: str | None) -> Response:
        context = _rules_context(**{rule_code: form})
        errors = {rule_code: error} if error else {}
        if is_htmx():
            return render_blocks(
                RULES,
                ["rule"],
                status=status,
                rule=_rule(context, rule_code),
                errors=errors,
                messages={},
                **context,
            )
        return render(RULES, status=status, errors=errors, messages={}, **context)

    def done(_) -> Response:
        message = "Rule saved. It applies from the next check and at each event."

        def fragment() -> Response:
            context = _rules_context()
            return render_blocks(
                RULES,
                ["rule"],
                rule=_rule(context, rule_code),
                errors={},
                messages={rule_code: message},
                **context,
            )

        return answer(message, url_for("admin.rules", _anchor=f"rule-{code}"), fragment)

    return run_change(
        form,
        lambda: compliance.update_rule(
            current_user,
            rule_code,
            enabled=form.enabled.data,
            parameter=form.parameter.data if form.parameter is not None else None,
        ),
        refused=refused,
        done=done,
    )


def _rule(context: dict, code: RuleCode):
    return next(r for r in context["rules"] if r.code == code)
