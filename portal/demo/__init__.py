"""Demo data for `flask demo`: a realistic program built through the same services users call.

Outside the domain layer on purpose: nothing in `portal.services` may depend on it.
`program` seeds the directory, users and cases; `engagement` and `attendance` add the
assessments, service referrals and attendance of the active participants.
"""
