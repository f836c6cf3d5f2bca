"""gunicorn settings: `gunicorn wsgi:app` (PORT, WEB_CONCURRENCY and BIND override them)."""

import os

from gunicorn.glogging import Logger

from portal.log_safety import safe_path, without_secrets

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
accesslog = "-"
# The path only (%(U)s), never the query string: searches carry names, and personal data
# must not reach the logs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


class SafeLogger(Logger):
    """The access log never holds an invitation's token: not in the path, the request line or
    the referrer (whatever the format names)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = without_secrets(value)
        atoms["U"] = safe_path(atoms.get("U"))
        return atoms


logger_class = SafeLogger
