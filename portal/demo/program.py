"""Demo data: a realistic Fayette County program, built through the same services users call."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from portal.clock import utcnow
from portal.demo import attendance as demo_attendance
from portal.demo import engagement as demo_engagement
from portal.demo import episodes as demo_episodes
from portal.demo import history as demo_history
from portal.demo import notifications as demo_notifications
from portal.demo import outcomes as demo_outcomes
from portal.demo.clock import backdate as _backdate
from portal.extensions import db
from portal.models import (
    OFFICER_REFERRAL_TYPES,
    Agency,
    Case,
    CaseStatus,
    ConsentScope,
    ExitReason,
    Organization,
    RecipientKind,
    ReferralType,
    Role,
    Service,
    ServiceCategory,
    ServiceKind,
    ServiceReferral,
    ServiceSchedule,
    SignatureMethod,
    StaffRole,
    User,
)
from portal.passwords import DEMO_PASSWORD  # noqa: F401 - the demo's, printed by `flask demo`
from portal.policy import is_officer
from portal.services import accounts, cases, consents, program_page
from portal.services.settings import get_settings

# email, name, role (with the office's duties after a colon), affiliation
DEMO_USERS = [
    (
        "admin@lead.example.org",
        "Dana Whitlock",
        "staff:program_admin,case_manager",
        "LEAD program office",
    ),
    ("casemanager@lead.example.org", "Marcus Reyes", "staff:case_manager", "LEAD program office"),
    ("evaluator@lead.example.org", "Ruth Okafor", "staff:reports", "LEAD program office"),
    (
        "deputy.hall@fcso.example.org",
        "Deputy Jordan Hall",
        "officer",
        "Fayette County Sheriff's Office",
    ),
    (
        "deputy.price@fcso.example.org",
        "Deputy Alisha Price",
        "officer",
        "Fayette County Sheriff's Office",
    ),
    ("officer.lee@ohpd.example.org", "Officer Sam Lee", "officer", "Oak Hill Police Department"),
    ("staff@fmrs.example.org", "Erin Cole", "provider", "FMRS"),
    ("staff@fchd.example.org", "Priya Nair", "provider", "Fayette County Health Department"),
    ("staff@recovery.example.org", "Tom Barker", "provider", "Fayette Recovery Community"),
]

PEOPLE = [
    ("James", "Carter", "1988-03-14", "Jimmy C"),
    ("Ashley", "Monroe", "1994-11-02", ""),
    ("Robert", "Lilly", "1979-06-23", "Bobby"),
    ("Kayla", "Dillon", "1999-01-30", "K.D."),
    ("Michael", "Ayers", "1985-09-09", ""),
    ("Tiffany", "Hughes", "1991-04-17", "Tiff"),
    ("Brandon", "Sizemore", "1996-12-05", ""),
    ("Crystal", "Pack", "1983-08-28", ""),
    ("Joshua", "Bennett", "2001-02-11", "Josh"),
    ("Amanda", "Gwinn", "1990-07-19", "Mandy"),
    ("Dustin", "Meadows", "1987-10-03", ""),
    ("Heather", "Wriston", "1993-05-26", ""),
]
# The number each person gave at referral (the provider calls it from the referral packet);
# the 555-01xx range is reserved for fiction.
PHONES = [f"(304) 555-01{n:02d}" for n in range(20, 32)]
# The office's case managers' work numbers: the packet gives providers the one to call.
WORK_PHONES = {
    "admin@lead.example.org": "(304) 555-0101 ext. 11",
    "casemanager@lead.example.org": "(304) 555-0101 ext. 14",
}

OFFENCES = [
    ("Possession of a controlled substance (heroin)", "W. Va. Code 60A-4-401(c)"),
    ("Possession of a controlled substance (methamphetamine)", "W. Va. Code 60A-4-401(c)"),
    ("Possession of drug paraphernalia", "W. Va. Code 60A-4-403a"),
    ("Prostitution", "W. Va. Code 61-8-5"),
]

LOCATIONS = [
    "Main St & Central Ave, Oak Hill",
    "Fayetteville Town Park",
    "US-19 rest area, Fayetteville",
    "Mount Hope, Main Street",
    "Gauley Bridge, Rt 60",
]

# What Crisis Stabilization's staff confirm at admission (its description says so).
CRISIS_CRITERIA = (
    "Actively withdrawing from opioids, alcohol or benzodiazepines",
    "Commits to long-term treatment upon discharge",
)

# (days ago referred, final status)
CASE_PLAN = [
    (1, CaseStatus.REFERRED),
    (3, CaseStatus.REFERRED),
    (6, CaseStatus.REFERRED),
    (9, CaseStatus.ACCEPTED),
    (27, CaseStatus.ACCEPTED),
    (35, CaseStatus.ACCEPTED),
    (14, CaseStatus.DECLINED),
    (20, CaseStatus.ACTIVE),
    (45, CaseStatus.ACTIVE),
    (60, CaseStatus.ACTIVE),
    (120, CaseStatus.COMPLETED),
    (90, CaseStatus.WITHDRAWN),
]
# The referral accepted 35 days ago is past its intake deadline: `check-compliance` flags it for
# review. It is an arrest diversion, so confirming the flag returns a held charge to the
# arresting officer (the other referrals' types are drawn at random).
OVERDUE_DAYS_AGO = 35


def database_is_empty() -> bool:
    return not any(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Agency, Organization, Case)
    )


def _directory() -> dict[str, Organization | Agency]:
    fcso = Agency(name="Fayette County Sheriff's Office", short_name="FCSO")
    ohpd = Agency(name="Oak Hill Police Department", short_name="OHPD")
    fmrs = Organization(
        name="FMRS",
        description="Behavioral health: detoxification, crisis stabilisation and counselling.",
        phone="(304) 555-0142",
        address="101 S Eisenhower Dr, Beckley, WV",
    )
    fchd = Organization(
        name="Fayette County Health Department",
        description="Public health services, including the harm reduction clinic.",
        phone="(304) 555-0178",
        address="210 W Maple Ave, Fayetteville, WV",
    )
    recovery = Organization(
        name="Fayette Recovery Community",
        description="Peer-led recovery support groups.",
        phone="(304) 555-0119",
    )
    housing = Organization(
        name="Fayette Community Action",
        description="Housing help, benefits enrolment and employment support.",
        phone="(304) 555-0163",
    )
    db.session.add_all([fcso, ohpd, fmrs, fchd, recovery, housing])
    db.session.flush()

    def service(org, name, category, description, eligibility, cap, schedules=(), **kw):
        s = Service(
            organization_id=org.id,
            name=name,
            category=category,
            description=description,
            eligibility=eligibility,
            capacity_max=cap,
            capacity_available=cap or 0,
            by_appointment=not schedules,
            **kw,
        )
        s.schedules = [
            ServiceSchedule(weekday=d, opens_at=dt.time(*o), closes_at=dt.time(*c))
            for d, o, c in schedules
        ]
        db.session.add(s)
        return s

    service(
        fmrs,
        "Detoxification",
        ServiceCategory.DETOX,
        "Often the first step to addressing alcohol or substance use.",
        "Adults actively withdrawing from opioids, alcohol or benzodiazepines.",
        8,
        min_age=18,
        kind=ServiceKind.EPISODE,
    )
    service(
        fmrs,
        "Crisis Stabilization",
        ServiceCategory.CRISIS,
        "Opioid, alcohol and benzodiazepine detoxification for people actively withdrawing who "
        "commit to long-term treatment upon discharge.",
        "Adults committed to long-term treatment upon discharge.",
        6,
        min_age=18,
        kind=ServiceKind.EPISODE,
        admission_criteria=list(CRISIS_CRITERIA),
    )
    service(
        fmrs,
        "Intensive Outpatient Treatment",
        ServiceCategory.TREATMENT,
        "Long-term substance-use treatment: three mornings a week of group and individual "
        "therapy, the usual step down from detox and crisis stabilisation.",
        "Adults after detox or crisis stabilisation, or who need more than counselling.",
        12,
        schedules=[(0, (9, 30), (12, 30)), (2, (9, 30), (12, 30)), (4, (9, 30), (12, 30))],
        min_age=18,
    )
    service(
        fmrs,
        "Outpatient Counselling",
        ServiceCategory.COUNSELLING,
        "Individual substance-use and mental-health counselling.",
        "Adults; evenings available.",
        15,
        schedules=[(1, (9, 0), (17, 0)), (3, (9, 0), (17, 0))],
        min_age=18,
    )
    service(
        fchd,
        "Harm Reduction Clinic",
        ServiceCategory.HARM_REDUCTION,
        "An evidence-based public health approach that uses practical strategies to reduce the "
        "harmful consequences of high-risk behaviours.",
        "Open to all adults; no appointment needed.",
        None,  # walk-in: no places
        schedules=[(2, (13, 0), (15, 0))],
        min_age=18,
        kind=ServiceKind.DROP_IN,
    )
    service(
        recovery,
        "Peer Recovery Support Group",
        ServiceCategory.SUPPORT_GROUP,
        "A weekly peer-led group for people in or seeking recovery.",
        "Anyone in or seeking recovery.",
        20,
        schedules=[(0, (18, 0), (19, 30))],
    )
    service(
        housing,
        "Housing Assistance",
        ServiceCategory.HOUSING,
        "Help finding and keeping housing, including rapid rehousing.",
        "Fayette County residents who are homeless or at risk.",
        5,
    )
    service(
        housing,
        "Benefits Enrolment",
        ServiceCategory.BENEFITS,
        "Help applying for SNAP, Medicaid and other benefits.",
        "Fayette County residents.",
        10,
    )
    db.session.flush()
    return {"fcso": fcso, "ohpd": ohpd, "fmrs": fmrs, "fchd": fchd, "recovery": recovery}


def seed(rng_seed: int = 7) -> None:
    """Load the demo program: directory, users of every role, a dozen referrals in varied states."""
    rng = random.Random(rng_seed)
    places = _directory()
    affiliation = {
        "Fayette County Sheriff's Office": {"agency_id": places["fcso"].id},
        "Oak Hill Police Department": {"agency_id": places["ohpd"].id},
        "FMRS": {"organization_id": places["fmrs"].id},
        "Fayette County Health Department": {"organization_id": places["fchd"].id},
        "Fayette Recovery Community": {"organization_id": places["recovery"].id},
    }
    users = {}
    for email, name, roles, where in DEMO_USERS:
        role, _, duties = roles.partition(":")
        users[email] = accounts.create_demo_user(
            email=email,
            name=name,
            role=Role(role),
            staff_roles=frozenset(StaffRole(d) for d in duties.split(",") if d),
            work_phone=WORK_PHONES.get(email),
            **affiliation.get(where, {}),
        )
    officers = [u for u in users.values() if is_officer(u)]
    demo_notifications.choose_modes(users)
    # The program's own words, with the contact the program text leaves blank.
    program_page.update_program_page(
        users["admin@lead.example.org"],
        **(
            program_page.DEFAULTS
            | {
                "name": "Fayette County LEAD",
                "contact_name": "LEAD program office",
                "contact_phone": "(304) 555-0100",
                "contact_email": "lead@lead.example.org",
                "on_call_phone": "(304) 555-0199",
            }
        ),
    )
    admin = users["casemanager@lead.example.org"]
    settings = get_settings()
    now = utcnow()
    active, completed = [], []
    screened: list[Case] = []
    for (first, last, dob, aliases), phone, (days_ago, status) in zip(
        PEOPLE, PHONES, CASE_PLAN, strict=True
    ):
        offence, statute = rng.choice(OFFENCES)
        referred_at = now - dt.timedelta(days=days_ago, hours=rng.randint(1, 8))
        # Drawn for each (an officer's types): the others stay as seeded.
        referral_type = rng.choice(OFFICER_REFERRAL_TYPES)
        if days_ago == OVERDUE_DAYS_AGO:
            referral_type = ReferralType.ARREST
        data = cases.ReferralData(
            first_name=first,
            last_name=last,
            dob=dt.date.fromisoformat(dob),
            aliases=aliases,
            phone=phone,
            referral_type=referral_type,
            incident_number=f"{referred_at:%Y}-{rng.randint(10000, 99999)}",
            offences=offence,
            statutes=statute,
            occurred_at=referred_at - dt.timedelta(minutes=45),
            location=rng.choice(LOCATIONS),
            eligibility=dict.fromkeys(settings.eligibility_items, True),
            notes="Cooperative; asked about detox options.",
        )
        case = cases.refer_person(rng.choice(officers), data)
        case.referred_at = referred_at
        steps = []
        if status != CaseStatus.REFERRED:
            if status == CaseStatus.DECLINED:
                cases.decline_referral(
                    case, admin, settings.exclusion_reasons[0], "Quantity found was 7 g."
                )
            else:
                # The two demo case managers share the cases (each takes those they accept),
                # so the caseload page has two rows to compare.
                screener = admin if len(screened) % 2 else users["admin@lead.example.org"]
                screened.append(case)
                cases.accept_referral(case, screener)
            steps.append(1)
        if status in (CaseStatus.ACTIVE, CaseStatus.COMPLETED, CaseStatus.WITHDRAWN):
            intake_day = (referred_at + dt.timedelta(days=min(5, days_ago - 1))).date()
            cases.complete_intake(case, admin, intake_day)
            steps.append(min(5, days_ago - 1))
        if status in (CaseStatus.COMPLETED, CaseStatus.WITHDRAWN):
            closed = (now - dt.timedelta(days=3)).date()
            if status == CaseStatus.COMPLETED:
                reason, note = ExitReason.COMPLETED, "Met the service plan goals."
            else:
                reason, note = ExitReason.MOVED_AWAY, "Moved to family out of state."
            cases.close_case(case, admin, status, closed, reason, note)
            steps.append(days_ago - 3)
        _backdate(case, referred_at, steps, settings.intake_deadline_days)
        if status == CaseStatus.ACTIVE:
            active.append(case)
        if status == CaseStatus.COMPLETED:
            completed.append(case)
    _family_referral(completed[0], admin, now - dt.timedelta(days=2, hours=3))
    demo_history.seed_history(officers, users["admin@lead.example.org"])
    active.sort(key=lambda c: c.referred_at)
    demo_engagement.engage(active, admin, users)
    _consents(active, admin)
    demo_episodes.seed_episodes(users, admin)
    db.session.flush()
    demo_notifications.settle()
    demo_attendance.seed_attendance()
    demo_attendance.seed_visits()
    demo_outcomes.seed_outcomes(admin)


def _family_referral(earlier: Case, admin: User, referred_at: dt.datetime) -> None:
    """A family referral the office entered for a participant who completed the program months
    ago: the case manager chose the earlier record, so the person page shows both referrals."""
    data = cases.ReferralData(
        first_name=earlier.referred_first_name,
        last_name=earlier.referred_last_name,
        dob=earlier.person.dob,
        referral_type=ReferralType.FAMILY,
        source_name="Donna Meadows, mother",
        source_contact="304-555-0142",
        source_note="Called the office: her son is using again and asked her to find help.",
        notes="Best reached in the evening, through his mother.",
    )
    case = cases.refer_person(admin, data, known_referral_id=earlier.id)
    _backdate(case, referred_at, [], get_settings().intake_deadline_days)


def _consents(active: list[Case], admin: User) -> None:
    """Every other active participant consented, at intake, to their referring agency being
    told their program status, naming the providers they were referred to as parties (whose
    referral packets then show the needs relevant to their service); the others did not, so
    their officers see only screening and their providers no need."""
    for case in active[::2]:
        providers = db.session.scalars(
            select(Service.organization_id)
            .join(ServiceReferral, ServiceReferral.service_id == Service.id)
            .where(ServiceReferral.case_id == case.id)
            .distinct()
        ).all()
        consents.record_consent(
            case,
            admin,
            consents.ConsentData(
                scopes=[ConsentScope.STATUS.value],
                recipient_kind=RecipientKind.AGENCY.value,
                recipient_agency_id=case.agency_id,
                provider_ids=sorted(providers),
                purpose="Keep the referring agency informed of the participant's progress.",
                signed_on=case.intake_completed_on,
                signature_method=SignatureMethod.WET.value,
                expiry_event="The participant's exit from the program",
            ),
        )
