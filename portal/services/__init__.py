"""The domain's rules: services take an actor, enforce a rule, write the timeline and flush.

They never commit; the view commits once per request.
"""
