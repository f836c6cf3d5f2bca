"""Benchmark data: agencies, provider organisations with their services, and the users."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from portal.bench_data.writer import Writer
from portal.models import Role, ServiceCategory, ServiceKind, ServiceStatus

DOMAIN = "bench.example.org"

# category, name, capacity per 20,000 cases, weekly sessions (weekday, opens, closes) or ()
# for appointments, episode (days a stay lasts) or None
CATALOGUE = [
    (ServiceCategory.DETOX, "Detoxification", 20, (), (4, 9)),
    (ServiceCategory.CRISIS, "Crisis Stabilization", 15, (), (5, 14)),
    (ServiceCategory.HARM_REDUCTION, "Harm Reduction Clinic", 300, ((2, 13, 15),), None),
    (ServiceCategory.SUPPORT_GROUP, "Peer Recovery Group", 250, ((0, 18, 19), (3, 18, 19)), None),
    (ServiceCategory.COUNSELLING, "Outpatient Counselling", 120, ((1, 9, 17), (3, 9, 17)), None),
    (ServiceCategory.TREATMENT, "Intensive Outpatient Program", 90, ((0, 9, 12), (2, 9, 12)), None),
    (ServiceCategory.MENTAL_HEALTH, "Mental Health Clinic", 80, ((4, 10, 16),), None),
    (ServiceCategory.HOUSING, "Housing Assistance", 60, (), None),
    (ServiceCategory.BENEFITS, "Benefits Enrolment", 80, (), None),
    (ServiceCategory.EMPLOYMENT, "Job Readiness Workshop", 60, ((1, 13, 15),), None),
    (ServiceCategory.MEDICAL, "Primary Care Clinic", 100, (), None),
    (ServiceCategory.LEGAL, "Legal Aid Clinic", 40, ((2, 10, 12),), None),
    (ServiceCategory.FAMILY, "Family Support Group", 50, ((3, 17, 19),), None),
]

TOWNS = [
    "Oak Hill", "Fayetteville", "Mount Hope", "Gauley Bridge", "Ansted", "Montgomery",
    "Beckley", "Summersville", "Hinton", "Lewisburg", "Princeton", "Bluefield", "Welch",
    "Logan", "Madison", "Charleston", "Huntington", "Parkersburg", "Clarksburg", "Morgantown",
]  # fmt: skip
AGENCY_KINDS = ["Police Department", "Sheriff's Office", "State Police Detachment"]
ORG_KINDS = ["Behavioral Health", "Recovery Community", "Community Action", "Health Center"]


@dataclass
class ServiceInfo:
    id: int
    organization_id: int
    organization_name: str
    name: str
    category: ServiceCategory
    capacity: int
    weekdays: tuple[int, ...]
    episode: tuple[int, int] | None
    open_places: int = 0  # pending and accepted referrals holding a place


@dataclass
class Directory:
    agencies: list[tuple[int, str]] = field(default_factory=list)
    services: list[ServiceInfo] = field(default_factory=list)
    officers: list[tuple[int, int]] = field(default_factory=list)  # (user id, agency id)
    officer_weights: list[float] = field(default_factory=list)
    staff_by_org: dict[int, list[int]] = field(default_factory=dict)
    case_managers: list[int] = field(default_factory=list)
    signins: dict[str, str] = field(default_factory=dict)  # role label: e-mail


def build(
    writer: Writer, rng: random.Random, cases: int, users: int, password_hash: str, now
) -> Directory:
    """Agencies, organisations, services sized for `cases`, and `users` accounts."""
    d = Directory()
    created = now - dt.timedelta(days=6 * 365)
    n_agencies = max(3, min(60, users // 40))
    for i in range(n_agencies):
        agency_id = writer.new_id("agencies")
        town = TOWNS[i % len(TOWNS)]
        name = f"{town} {AGENCY_KINDS[(i // len(TOWNS)) % len(AGENCY_KINDS)]}"
        if i >= len(TOWNS) * len(AGENCY_KINDS):
            name += f" {i}"
        writer.add(
            "agencies",
            {
                "id": agency_id,
                "name": name,
                "short_name": f"AG{i + 1}",
                "active": True,
                "created_at": created,
            },
        )
        d.agencies.append((agency_id, name))
    n_orgs = max(4, min(40, cases // 2500))
    scale = max(1.0, cases / 20_000 * 8 / n_orgs)
    for i in range(n_orgs):
        org_id = writer.new_id("organizations")
        name = f"{TOWNS[i % len(TOWNS)]} {ORG_KINDS[(i // len(TOWNS)) % len(ORG_KINDS)]}"
        if i >= len(TOWNS) * len(ORG_KINDS):
            name += f" {i}"
        writer.add(
            "organizations",
            {
                "id": org_id,
                "name": name,
                "description": "A provider of the program's services.",
                "phone": f"(304) 555-{1000 + i:04d}",
                "email": None,
                "website": None,
                "address": f"{100 + i} Main St, {TOWNS[i % len(TOWNS)]}, WV",
                "active": True,
                "created_at": created,
            },
        )
        # Every organisation offers three to five services; the first two cover the catalogue.
        picks = rng.sample(range(len(CATALOGUE)), rng.randint(3, 5))
        if i < 2:
            picks = list(range(i, len(CATALOGUE), 2))
        for pick in sorted(picks):
            category, service_name, per_20k, sessions, episode = CATALOGUE[pick]
            capacity = max(5, min(400, int(per_20k * scale)))
            service_id = writer.new_id("services")
            writer.add(
                "services",
                {
                    "id": service_id,
                    "organization_id": org_id,
                    "name": service_name,
                    "description": f"{category.label} for the program's participants.",
                    "category": category,
                    "eligibility": "Adults referred by the LEAD program.",
                    "min_age": 18,
                    "max_age": None,
                    "by_appointment": not sessions,
                    # A stay is an episode (admitted, discharged); the rest keep the default.
                    "kind": ServiceKind.EPISODE if episode else ServiceKind.SCHEDULED,
                    "capacity_max": capacity,
                    "capacity_available": capacity,  # set once the referrals are known
                    "status": ServiceStatus.ACTIVE,
                    "created_at": created,
                },
            )
            for weekday, opens, closes in sessions:
                writer.add(
                    "service_schedules",
                    {
                        "id": writer.new_id("service_schedules"),
                        "service_id": service_id,
                        "weekday": weekday,
                        "opens_at": dt.time(opens),
                        "closes_at": dt.time(closes),
                    },
                )
            d.services.append(
                ServiceInfo(
                    service_id,
                    org_id,
                    name,
                    service_name,
                    category,
                    capacity,
                    tuple(s[0] for s in sessions),
                    episode,
                )
            )
    _users(writer, rng, d, users, n_orgs, password_hash, created)
    return d


def _users(writer, rng, d: Directory, users: int, n_orgs: int, password_hash: str, created):
    n_staff = max(4, users // 40)
    n_providers = max(n_orgs, users // 6)
    n_officers = max(3, users - n_staff - n_providers)

    def user(email, name, role, **extra):
        user_id = writer.new_id("users")
        row = {
            "id": user_id,
            "email": email,
            "name": name,
            "role": role,
            "agency_id": None,
            "organization_id": None,
            "badge_number": None,
            "case_manager": False,
            "program_admin": False,
            "reports": False,
            "password_hash": password_hash,
            "active": True,
            "failed_logins": 0,
            "locked_until": None,
            "last_login_at": None,
            "must_change_password": False,
            "created_at": created,
        }
        row.update(extra)
        writer.add("users", row)
        return user_id

    duties = [("program_admin", "admin"), ("reports", "reports")]
    for i in range(n_staff):
        duty, prefix = duties[i] if i < len(duties) else ("case_manager", "casemanager")
        number = 1 if i < len(duties) else i - 1
        email = f"{prefix}{number}@{DOMAIN}"
        user_id = user(email, f"Office Staff {i + 1}", Role.STAFF, **{duty: True})
        if duty == "case_manager":
            d.case_managers.append(user_id)
    d.signins.update(
        {
            "program administrator": f"admin1@{DOMAIN}",
            "reports": f"reports1@{DOMAIN}",
            "case manager": f"casemanager1@{DOMAIN}",
        }
    )
    org_ids = sorted({s.organization_id for s in d.services})
    for i in range(n_providers):
        org_id = org_ids[i % len(org_ids)]
        email = f"provider{i + 1}@{DOMAIN}"
        user_id = user(email, f"Provider Staff {i + 1}", Role.PROVIDER, organization_id=org_id)
        d.staff_by_org.setdefault(org_id, []).append(user_id)
    d.signins["provider"] = f"provider1@{DOMAIN}"
    # Officer 1 refers most: a long tail (Zipf), a few officers with thousands of referrals.
    for i in range(n_officers):
        agency_id, _ = d.agencies[rng.randrange(len(d.agencies))] if i else d.agencies[0]
        email = f"officer{i + 1}@{DOMAIN}"
        user_id = user(
            email,
            f"Officer {i + 1}",
            Role.OFFICER,
            agency_id=agency_id,
            badge_number=f"B{10000 + i}",
        )
        d.officers.append((user_id, agency_id))
        d.officer_weights.append(1.0 / (i + 1) ** 0.9)
    d.signins["officer"] = f"officer1@{DOMAIN}"
