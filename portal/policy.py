"""Who may see and do what: every access decision of the portal, in one place.

Three kinds of answer live here and nowhere else:
- predicates (`can_*`, `is_*`): may this user do this to this object?
- scopes (`*_scope`): the rows of a list this user may see; every list and loader starts from one;
- the officer's disclosure rule (`officer_disclosure`): what of a case reaches law enforcement.

Services call `require(...)`, which raises `NotPermitted`; views load through the scoped loaders
in `portal.auth.permissions`; templates ask these predicates or read flags a service computed.
No other module compares a user's role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from portal.clock import local_today
from portal.models import (
    Agency,
    Case,
    CaseStatus,
    ComplianceFlag,
    Consent,
    ConsentDocument,
    Notification,
    Organization,
    Person,
    RecipientKind,
    ReferralStatus,
    Role,
    Service,
    ServiceReferral,
    StaffRole,
    TimelineEntry,
    TimelineKind,
    User,
)
from portal.services.errors import NotPermitted

HOME = {
    Role.OFFICER: "officer.referrals",
    Role.PROVIDER: "provider.roster",
}
# Program office staff land on the page of their first duty, in this order.
STAFF_HOME = {
    StaffRole.CASE_MANAGER: "admin.queue",
    StaffRole.PROGRAM_ADMIN: "admin.users",
    StaffRole.REPORTS: "admin.reports",
}


def require(allowed: bool, message: str) -> None:
    """Refuse the action (NotPermitted, with `message`) unless the policy allowed it."""
    if not allowed:
        raise NotPermitted(message)


# --- who is who ---------------------------------------------------------------------------------


def has_role(user: User, role: Role) -> bool:
    """The user is signed in with this role (the role gate of each front door)."""
    return getattr(user, "role", None) == role


def has_staff_role(user: User, role: StaffRole) -> bool:
    """Program office staff holding this duty."""
    return has_role(user, Role.STAFF) and bool(getattr(user, role.value, False))


def is_officer(user: User) -> bool:
    return has_role(user, Role.OFFICER)


def is_provider_staff(user: User) -> bool:
    return has_role(user, Role.PROVIDER) and user.organization_id is not None


def is_program_staff(user: User) -> bool:
    """Staff of the program office, whatever their duties (the office's front door)."""
    return has_role(user, Role.STAFF)


def is_case_manager(user: User) -> bool:
    return has_staff_role(user, StaffRole.CASE_MANAGER)


def is_program_admin(user: User) -> bool:
    return has_staff_role(user, StaffRole.PROGRAM_ADMIN)


def provider_staff() -> ColumnElement[bool]:
    """Users who are provider staff, as a query filter."""
    return (User.role == Role.PROVIDER) & User.organization_id.is_not(None)


def assignable_case_managers(or_user_id: int | None = None) -> ColumnElement[bool]:
    """Users a case may be assigned to, as a filter: active program office staff holding the
    case-manager duty (and, if given, that user if they hold it, active or not: who holds a
    case still shows)."""
    duty = (User.role == Role.STAFF) & User.case_manager.is_(True)
    if or_user_id is None:
        return duty & User.active.is_(True)
    return duty & (User.active.is_(True) | (User.id == or_user_id))


def officers_of(agency_id: int | None) -> ColumnElement[bool]:
    """Officers of an agency, as a query filter on users."""
    return (User.role == Role.OFFICER) & (User.agency_id == agency_id)


def may_stay_signed_in() -> ColumnElement[bool]:
    """Users who may sign in and stay signed in, as a query filter: active, and so is the agency
    or provider organisation they belong to (its staff are signed out when it is deactivated)."""
    return and_(
        User.active,
        or_(
            User.agency_id.is_(None),
            exists().where(Agency.id == User.agency_id, Agency.active),
        ),
        or_(
            User.organization_id.is_(None),
            exists().where(Organization.id == User.organization_id, Organization.active),
        ),
    )


def members_of(*, agency_id: int | None = None, organization_id: int | None = None):
    """Users who belong to this agency or this provider organisation, as a query filter."""
    if agency_id is not None:
        return User.agency_id == agency_id
    return User.organization_id == organization_id


def home_endpoint(user: User) -> str:
    """Where a user lands after signing in."""
    if user.role == Role.STAFF:
        return next(STAFF_HOME[r] for r in STAFF_HOME if has_staff_role(user, r))
    return HOME[user.role]


def needs_agency(role: Role) -> bool:
    """Officers belong to an agency."""
    return role == Role.OFFICER


def holds_duties(role: Role) -> bool:
    """Program office staff hold one office duty or more; nobody else holds any."""
    return role == Role.STAFF


def needs_organization(role: Role) -> bool:
    """Provider staff belong to a provider organisation."""
    return role == Role.PROVIDER


# --- cases --------------------------------------------------------------------------------------


def _provider_case_ids(organization_id: int | None) -> Select:
    # Minimum necessary: an organisation that declined a referral (and never took the person
    # on) sees nothing more of that participant; after its referral closes it keeps reading
    # what it recorded.
    return (
        select(ServiceReferral.case_id)
        .join(Service, Service.id == ServiceReferral.service_id)
        .where(
            Service.organization_id == organization_id,
            ServiceReferral.status != ReferralStatus.DECLINED,
        )
    )


def case_scope(user: User, today: dt.date | None = None) -> Select:
    """Cases a user may see: all (case managers); those they referred, or whose participant's
    consent in force names them or their agency (officer); those with a referral to their
    organisation it did not decline (provider staff); nothing for anyone else (a program
    administrator or an evaluator reads no case)."""
    query = select(Case)
    if is_case_manager(user):
        return query
    if is_officer(user):
        named = exists(
            select(Consent.id).where(
                Consent.case_id == Case.id, consent_in_force(today), consent_names(user)
            )
        )
        return query.where(or_(Case.officer_id == user.id, named))
    if is_provider_staff(user):
        return query.where(Case.id.in_(_provider_case_ids(user.organization_id)))
    return query.where(false())


def one_case_scope(user: User, case_id: int) -> Select:
    """`case_scope` narrowed to one case, written so that the database checks that case alone:
    for provider staff, whether their organisation has a referral of this case (an index seek),
    not the list of every case it ever had (tens of thousands at a statewide program)."""
    if is_provider_staff(user):
        reaches = exists(
            _provider_case_ids(user.organization_id).where(ServiceReferral.case_id == Case.id)
        )
        return select(Case).where(Case.id == case_id, reaches)
    return case_scope(user).where(Case.id == case_id)


def person_scope(user: User) -> Select:
    """Person records a user may open on their own (a person page, every referral of the
    person): the case managers'. Officers and providers see a person only through a case."""
    query = select(Person)
    return query if is_case_manager(user) else query.where(false())


def can_refer(user: User) -> bool:
    """Officers of an agency refer people to the program."""
    return is_officer(user) and user.agency_id is not None


def can_manage_case(user: User) -> bool:
    """Screening, intake, assessment, contacts, matching, service assignment, details and exits:
    the case managers'."""
    return is_case_manager(user)


def can_see_held_charge(user: User, case: Case) -> bool:
    """The charge an arrest diversion holds (incident, offences, statutes, filing date): the
    program office, and the officer who referred it (what they entered themselves); never
    provider staff, nor an officer who sees the case under a consent."""
    return is_case_manager(user) or (is_officer(user) and case.officer_id == user.id)


def can_view_consent_scans(user: User) -> bool:
    """The signed scan of a consent is the participant's signature on a Part 2 form: the program
    office's case managers read it; officers and providers never do, whatever consent names
    them."""
    return is_case_manager(user)


def consent_scan_scope(user: User, today: dt.date | None = None) -> Select:
    """Consent scans a user may read: those of the cases the user may see, for those allowed to
    read scans at all; none for anyone else."""
    if not can_view_consent_scans(user):
        return select(ConsentDocument).where(false())
    cases = case_scope(user, today).with_only_columns(Case.id)
    return (
        select(ConsentDocument)
        .join(Consent, Consent.id == ConsentDocument.consent_id)
        .where(Consent.case_id.in_(cases))
    )


def can_review_compliance(user: User) -> bool:
    """Compliance flags are the program office's to review: a breach reaches no one else, and
    only a case manager's confirmation closes a case as non-compliant."""
    return can_manage_case(user)


def compliance_flag_scope(user: User) -> Select:
    """Compliance flags a user may see: all (program office); none for officers and providers,
    who never learn that a flag was raised or dismissed."""
    query = select(ComplianceFlag)
    if can_review_compliance(user):
        return query
    return query.where(false())


# --- the directory, users and settings ----------------------------------------------------------


def can_manage_directory(user: User) -> bool:
    """Agencies, provider organisations and their services."""
    return is_program_admin(user)


def can_manage_users(user: User) -> bool:
    """Accounts: create, invite, edit, change roles, deactivate, reset MFA."""
    return is_program_admin(user)


def can_view_caseload(user: User) -> bool:
    """Each case manager's count of open cases against the program's guidance (counts and
    names of staff, no case): case managers and program administrators."""
    return is_case_manager(user) or is_program_admin(user)


def can_view_reports(user: User) -> bool:
    """The program's figures (counts only, no case and no person): the reports role, and the
    office's case managers and administrators."""
    return is_program_staff(user)


def can_set_own_work_phone(user: User) -> bool:
    """Program office staff keep their own work phone (the case manager's number providers
    call); an administrator sets anyone's on the user form."""
    return is_program_staff(user)


def can_export_evaluation(user: User) -> bool:
    """The de-identified case-level file: program administrators and evaluators (the reports
    duty), not case managers, whose work is the people themselves."""
    return is_program_admin(user) or has_staff_role(user, StaffRole.REPORTS)


def can_manage_settings(user: User) -> bool:
    """The program's rules (deadlines, exclusion reasons, eligibility items)."""
    return is_program_admin(user)


def can_view_audit(user: User) -> bool:
    """The audit trail (who did what, who opened which record) and its export."""
    return is_program_admin(user)


def can_view_mail_failures(user: User) -> bool:
    """E-mail the portal gave up sending (ids, case numbers, kinds of update: no person)."""
    return is_program_admin(user)


def can_edit_availability(user: User, service: Service) -> bool:
    """A service's schedule and capacity: its own organisation's staff, or the program office."""
    return is_staff_of(user, service) or can_manage_directory(user)


# --- service referrals and attendance -----------------------------------------------------------


def is_staff_of(user: User, service: Service) -> bool:
    """Provider staff of the organisation that runs the service."""
    return is_provider_staff(user) and user.organization_id == service.organization_id


def service_referral_scope(user: User) -> Select:
    """Service referrals a user may see: all (program office), their organisation's (provider
    staff); none for officers (which services a participant uses is clinical)."""
    query = select(ServiceReferral)
    if is_case_manager(user):
        return query
    if is_provider_staff(user):
        return query.join(Service, Service.id == ServiceReferral.service_id).where(
            Service.organization_id == user.organization_id
        )
    return query.where(false())


def can_decide_service_referral(user: User, service: Service) -> bool:
    """Accept, decline, complete or end a service referral: the provider's staff or the office."""
    return is_staff_of(user, service) or can_manage_case(user)


def can_record_contact_attempt(user: User, service: Service) -> bool:
    """Attempts to reach a referred participant, and closing the referral as could not reach:
    the staff of the organisation that runs the service."""
    return is_staff_of(user, service)


def can_record_attendance(user: User, service: Service) -> bool:
    """Attendance is logged by the staff of the organisation that runs the service."""
    return is_staff_of(user, service)


def can_record_episode(user: User, service: Service) -> bool:
    """Admission and discharge (and the admission criteria's answers) are the clinical record of
    the organisation that runs the episode service: its staff alone write them."""
    return is_staff_of(user, service)


def can_decide_step_down(user: User) -> bool:
    """A step-down named at discharge becomes a referral only when a case manager confirms it
    (or declines it): matching services is the program office's."""
    return can_manage_case(user)


# --- the timeline and what reaches law enforcement ----------------------------------------------


# What reaches law enforcement (42 CFR Part 2). Screening (received, accepted, declined) is the
# referring officer's own business; everything after it needs the participant's consent. Kinds
# in none of these sets (details edited, person records linked or kept apart, a drop-in visit,
# an episode's admission, discharge or step-down, ...) never do.
SCREENING_KINDS = frozenset(
    {TimelineKind.REFERRAL_RECEIVED, TimelineKind.REFERRAL_ACCEPTED, TimelineKind.REFERRAL_DECLINED}
)
STATUS_KINDS = frozenset(
    {TimelineKind.INTAKE_COMPLETED, TimelineKind.ENGAGED, TimelineKind.CASE_WITHDRAWN}
)
OUTCOME_KINDS = frozenset({TimelineKind.CASE_COMPLETED, TimelineKind.CASE_NON_COMPLIANT})
SCREENING_STATUSES = frozenset({CaseStatus.REFERRED, CaseStatus.DECLINED})


def is_in_force(consent: Consent, today: dt.date | None = None) -> bool:
    """Signed, complete (not a legacy yes/no from intake), not revoked, not past its expiry
    date in the program's time zone (so expiry needs no job to take effect)."""
    today = today or local_today()
    return (
        not consent.legacy
        and consent.signed_on is not None
        and consent.signed_on <= today
        and consent.revoked_on is None
        and (consent.expires_on is None or today <= consent.expires_on)
    )


def consent_in_force(today: dt.date | None = None) -> ColumnElement[bool]:
    """`is_in_force`, as a query filter on consents."""
    today = today or local_today()
    return and_(
        Consent.legacy.is_(False),
        Consent.signed_on.is_not(None),
        Consent.signed_on <= today,
        Consent.revoked_on.is_(None),
        or_(Consent.expires_on.is_(None), Consent.expires_on >= today),
    )


def names_recipient(consent: Consent, user: User) -> bool:
    """The consent names this officer, or the officer's agency."""
    if consent.recipient_kind == RecipientKind.OFFICER:
        return consent.recipient_officer_id == user.id
    if consent.recipient_kind == RecipientKind.AGENCY:
        return user.agency_id is not None and consent.recipient_agency_id == user.agency_id
    return False


def consent_names(user: User) -> ColumnElement[bool]:
    """`names_recipient`, as a query filter on consents."""
    named = and_(
        Consent.recipient_kind == RecipientKind.OFFICER, Consent.recipient_officer_id == user.id
    )
    if user.agency_id is None:
        return named
    return or_(
        named,
        and_(
            Consent.recipient_kind == RecipientKind.AGENCY,
            Consent.recipient_agency_id == user.agency_id,
        ),
    )


def is_returned_before_intake(case: Case) -> bool:
    """A case returned for non-compliance without an intake (the intake deadline passed): no
    treatment record exists, so its return is the referring officer's to know, as screening is."""
    return case.status == CaseStatus.NON_COMPLIANT and case.intake_completed_on is None


def officer_disclosure(user: User, today: dt.date | None = None) -> ColumnElement[bool]:
    """The officer's disclosure rule, as a filter on timeline entries: screening events of the
    cases they referred (or a consent names them for), and the return of such a case that never
    reached intake; after intake, an event only when a consent in force names the officer or
    their agency and covers it (status, or outcome)."""

    def consented(*covers) -> ColumnElement[bool]:
        return exists(
            select(Consent.id).where(
                Consent.case_id == TimelineEntry.case_id,
                consent_in_force(today),
                consent_names(user),
                *covers,
            )
        )

    referred_by_them = exists(
        select(Case.id).where(Case.id == TimelineEntry.case_id, Case.officer_id == user.id)
    )
    never_enrolled = exists(
        select(Case.id).where(Case.id == TimelineEntry.case_id, Case.intake_completed_on.is_(None))
    )
    return or_(
        and_(TimelineEntry.kind.in_(SCREENING_KINDS), or_(referred_by_them, consented())),
        and_(
            TimelineEntry.kind == TimelineKind.CASE_NON_COMPLIANT,
            never_enrolled,
            or_(referred_by_them, consented()),
        ),
        and_(TimelineEntry.kind.in_(STATUS_KINDS), consented(Consent.discloses_status)),
        and_(TimelineEntry.kind.in_(OUTCOME_KINDS), consented(Consent.discloses_outcome)),
    )


def _naming(user: User, consents: list[Consent], today: dt.date | None) -> list[Consent]:
    return [c for c in consents if is_in_force(c, today) and names_recipient(c, user)]


def officer_may_see(user: User, case: Case, today: dt.date | None = None) -> bool:
    """`case_scope` for one officer and one case whose consents are loaded: they referred it,
    or a consent in force names them or their agency."""
    return is_officer(user) and (
        case.officer_id == user.id or bool(_naming(user, case.consents, today))
    )


def officer_kinds(user: User, case: Case, today: dt.date | None = None) -> frozenset:
    """`officer_disclosure` for one case whose consents are loaded: the timeline kinds this
    officer may see of it (the same rule, decided once in Python instead of per row in SQL)."""
    mine = _naming(user, case.consents, today)
    kinds: set[TimelineKind] = set()
    if case.officer_id == user.id or mine:
        kinds |= SCREENING_KINDS
        if case.intake_completed_on is None:
            kinds.add(TimelineKind.CASE_NON_COMPLIANT)  # a return before intake
    if any(c.discloses_status for c in mine):
        kinds |= STATUS_KINDS
    if any(c.discloses_outcome for c in mine):
        kinds |= OUTCOME_KINDS
    return frozenset(kinds)


def disclosing_consent(
    user: User, kind: TimelineKind, consents: list[Consent], today: dt.date | None = None
) -> Consent | None:
    """The consent under which this event may reach the officer (None: no consent needed, for
    screening, or none allows it)."""
    covers = "discloses_status" if kind in STATUS_KINDS else "discloses_outcome"
    if kind in SCREENING_KINDS or (kind not in STATUS_KINDS and kind not in OUTCOME_KINDS):
        return None
    for consent in consents:
        if (
            is_in_force(consent, today)
            and names_recipient(consent, user)
            and getattr(consent, covers)
        ):
            return consent
    return None


@dataclass(frozen=True)
class OfficerStatus:
    """The status of a case as an officer may know it."""

    status: CaseStatus
    confidential: bool  # progress after screening is not disclosed to this officer
    consented: bool  # what is shown rests on a consent: the redisclosure notice goes with it
    stage: str = "Accepted by the program"  # what the badge says when the rest is confidential


def officer_status(
    user: User, case: Case, consents: list[Consent], today: dt.date | None = None
) -> OfficerStatus:
    """What an officer may know of a case's status: screening always; after it, enrolment and
    withdrawal under a status consent, completion and non-compliance under an outcome consent;
    otherwise the last stage disclosed, with further progress confidential. A case returned
    before any intake is disclosed like screening (there is no treatment record)."""
    if case.status in SCREENING_STATUSES or is_returned_before_intake(case):
        return OfficerStatus(case.status, False, False)
    mine = [c for c in consents if is_in_force(c, today) and names_recipient(c, user)]
    status_ok = any(c.discloses_status for c in mine)
    outcome_ok = any(c.discloses_outcome for c in mine)
    if case.status in (CaseStatus.ACTIVE, CaseStatus.WITHDRAWN) and status_ok:
        return OfficerStatus(case.status, False, True)
    if case.status in (CaseStatus.COMPLETED, CaseStatus.NON_COMPLIANT) and outcome_ok:
        return OfficerStatus(case.status, False, True)
    if case.status in (CaseStatus.COMPLETED, CaseStatus.NON_COMPLIANT) and status_ok:
        # Enrolment was disclosed; how the program ended is the outcome, not consented to.
        return OfficerStatus(CaseStatus.ACTIVE, True, True, "Enrolled in the program")
    if case.status == CaseStatus.ACCEPTED and mine:
        return OfficerStatus(case.status, False, True)
    return OfficerStatus(CaseStatus.ACCEPTED, True, bool(mine))


# --- officers kept informed ---------------------------------------------------------------------


def receives_notifications(user: User) -> bool:
    """Officers hear of their referrals' progress (in the inbox, and by e-mail if they wish)."""
    return is_officer(user) and user.active


def officers_to_tell(case_id: int, today: dt.date | None = None) -> Select:
    """The officers who may be told of a case's events, before the disclosure rule decides
    event by event: the referring officer, and each officer a consent in force names. An agency
    named as a whole may read the case, but its officers are not each sent its news."""
    referrer = select(Case.officer_id).where(Case.id == case_id)
    named = select(Consent.recipient_officer_id).where(
        Consent.case_id == case_id,
        consent_in_force(today),
        Consent.recipient_kind == RecipientKind.OFFICER,
    )
    return select(User).where(
        User.role == Role.OFFICER,
        User.active.is_(True),
        or_(User.id.in_(referrer), User.id.in_(named)),
    )


def notification_scope(user: User) -> Select:
    """A user's own notifications (an officer's) whose event the disclosure rule lets them see
    now: a consent that ended takes its updates out of the inbox as off the case page."""
    if not is_officer(user):
        return select(Notification).where(false())
    return (
        select(Notification)
        .join(TimelineEntry, TimelineEntry.id == Notification.entry_id)
        .where(Notification.user_id == user.id, officer_disclosure(user))
    )


_RETURNED = and_(Case.status == CaseStatus.NON_COMPLIANT, Case.intake_completed_on.is_(None))
# My referrals' status filter, beside the rule it mirrors: each filter holds the cases whose
# badge the officer sees with that status (officer_status, without a consent): nothing after
# screening is told apart but a return before intake.
OFFICER_FILTERS = {
    "referred": Case.status == CaseStatus.REFERRED,
    "accepted": and_(Case.status.not_in([CaseStatus.REFERRED, CaseStatus.DECLINED]), ~_RETURNED),
    "declined": Case.status == CaseStatus.DECLINED,
    "non_compliant": _RETURNED,
}
OFFICER_FILTER_LABELS = {
    "referred": "Referred",
    "accepted": "Accepted by the program",
    "declined": "Declined",
    "non_compliant": "Returned for non-compliance",
}


def timeline_scope(user: User, case: Case | None = None) -> ColumnElement[bool]:
    """Timeline entries a user may see, as a filter: all (program office), what the disclosure
    rule allows (officer: for one case whose consents are loaded, its kinds), their
    organisation's own entries (provider staff)."""
    if is_case_manager(user):
        return true()
    if is_officer(user):
        if case is not None and "consents" in case.__dict__:
            kinds = officer_kinds(user, case)
            return TimelineEntry.kind.in_(sorted(kinds)) if kinds else false()
        return officer_disclosure(user)
    if is_provider_staff(user):
        return TimelineEntry.organization_id == user.organization_id
    return false()


def sees_status_only(user: User) -> bool:
    """Officers read fixed status wording: no payload, no names of who did what."""
    return is_officer(user)
