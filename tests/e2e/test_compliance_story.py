"""The golden rule's story, on phones: a referral past its intake deadline goes back to the
officer who made it, only after a case manager confirmed it.

It starts from the demo, not from test_story.py's referral: Deputy Hall's arrest diversion of
Tiffany Hughes, accepted 35 days ago and still without intake (portal/demo/program.py). Cron's
`check-compliance` runs against the live server's database and raises one flag (a second run
none). The case manager, on a phone, opens Compliance review from the navigation (its count),
reads the flag's evidence, outreach and recent timeline, is refused a dismissal without a reason
(the message beside the field), confirms, and finds the case closed as non-compliant with the
charge its referral held. Deputy Hall, on a phone all along, sees the header's unread count go
up without a reload (it polls), opens the Inbox: "Returned for non-compliance" with the held
charge and "File by <date>"; opening it marks it read (the count goes down) and lands on the case
page showing the return. Nothing about the flag, its evidence or the staff reaches the officer.
`send-notifications` then writes the officer's e-mail to the log (no SMTP_HOST in development):
the case number and the kind of update, no person's name, and never the same e-mail twice.
"""

from __future__ import annotations

import re

import pytest

from portal.demo.program import PEOPLE
from tests.e2e.checks import PHONE
from tests.e2e.test_story import PERSON as STORY_PERSON

pytestmark = pytest.mark.e2e

OFFICER = "deputy.hall@fcso.example.org"
CASE_MANAGER = "admin@lead.example.org"
OVERDUE = "Tiffany Hughes"  # the demo's referral accepted 35 days ago
RULE = "Intake not completed by the deadline"
EVIDENCE = re.compile(r"Evidence: Intake deadline \d{4}-\d{2}-\d{2} passed; intake not recorded\.")
# What the officer must never see: the office's staff, the flag, its evidence, the decision.
NOT_FOR_OFFICERS = (
    "Dana Whitlock",
    "Marcus Reyes",
    re.compile(r"\bflag", re.IGNORECASE),
    "Evidence",
    "intake not recorded",
    "Intake deadline",
    "Dismiss",
)
LOGGED_MAIL = "E-mail written to the log, not sent"


def test_overdue_referral_returned_to_the_arresting_officer(cast, flask_cli):
    checked = flask_cli("check-compliance").stdout
    assert "Done: 1 flag(s) raised" in checked, checked
    again = flask_cli("check-compliance").stdout  # the same breach: still one flag
    assert "Done: 0 flag(s) raised" in again, again

    officer = cast.officer(OFFICER, PHONE)
    officer.sign_in()
    unread = officer.unread()
    officer.mark_page()

    manager = cast.admin(CASE_MANAGER, PHONE)
    manager.sign_in()
    manager.opens_review_queue(open_flags=1)
    case_id = manager.sees_flag(OVERDUE, RULE, EVIDENCE, badge="Accepted, awaiting intake")
    manager.dismisses_without_reason(OVERDUE, RULE, open_flags=1)
    manager.confirms(OVERDUE, RULE, open_flags=1)
    charge = manager.opens_returned_case(OVERDUE, RULE)

    officer.sees_unread(unread + 1)
    officer.opens_inbox()
    officer.sees_return(case_id, OVERDUE, charge, never_shown=NOT_FOR_OFFICERS)
    officer.opens_update(case_id, OVERDUE, charge, unread=unread, never_shown=NOT_FOR_OFFICERS)
    officer.sees_inbox_read(case_id)

    # Cron's sender, after the commit: the officer's e-mail, in the log in development.
    sent = flask_cli("send-notifications")
    mails = (sent.stdout + sent.stderr).split(LOGGED_MAIL)[1:]
    assert re.match(r"[1-9]\d* sent, 0 to try again, 0 given up", sent.stdout), sent.stdout
    returned = [
        m
        for m in mails
        if re.search(rf"update on case {case_id}\b", m) and "Returned for non-compliance." in m
    ]
    assert len(returned) == 1, mails
    assert f"/officer/referrals/{case_id}\n" in returned[0]
    names = {STORY_PERSON.first_name, STORY_PERSON.last_name}
    names |= {part for first, last, _dob, _alias in PEOPLE for part in (first, last)}
    for mail in mails:
        assert not [n for n in names if re.search(rf"\b{n}\b", mail)], mail
        assert charge.incident not in mail and charge.offences not in mail, mail
    again = flask_cli("send-notifications")
    assert again.stdout.startswith("0 sent"), again.stdout
    assert LOGGED_MAIL not in again.stderr

    cast.assert_consoles_clean()
