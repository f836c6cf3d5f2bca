"""gunicorn settings: `gunicorn wsgi:app` (PORT, WEB_CONCURRENCY and BIND override them)."""

import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
# An idle keep-alive connection is closed after this many seconds. gunicorn's default (2 s) is
# shorter than a user's pause between two clicks, and a request sent on a connection the server
# is closing at that moment gets no answer at all (the load test's only failures: 2 of 11,089
# requests, "connection closed", 0 worker timeouts). nginx in front keeps no idle connection to
# the app servers, so this matters to clients that reach gunicorn directly.
keepalive = 10
accesslog = "-"
# The path only (%(U)s), never the query string: searches carry names, and personal data
# must not reach the logs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn's error log, and anything logged through the root logger (SQLAlchemy's pool), print
# tracebacks without the exception's message: a database driver's message can quote a row's
# values. The portal answers database outages itself (a 503 page, logged in one line); this is
# the net under anything it did not handle. Its access log never holds an invitation's token.
logger_class = "portal.logs.GunicornLogger"
