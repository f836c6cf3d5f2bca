"""An invitation's token never reaches a log: gunicorn's access log, the error log, the
development mail log."""

from __future__ import annotations

import datetime as dt
import importlib
import runpy
from pathlib import Path
from types import SimpleNamespace

from portal.log_safety import safe_path, without_secrets

TOKEN = "q7Vt2nZr0ExampleTokenOfFortyThreeCharacters"
ROOT = Path(__file__).resolve().parents[2]


def test_paths_and_text_lose_the_token():
    assert safe_path(f"/invite/{TOKEN}") == "/invite/[withheld]"
    assert safe_path("/admin/users/7") == "/admin/users/7"
    line = f"Choose your password here: https://lead.example.org/invite/{TOKEN}\nthen sign in"
    assert TOKEN not in without_secrets(line)
    assert "https://lead.example.org/invite/[withheld]\nthen sign in" in without_secrets(line)


def test_the_access_log_never_holds_the_token():
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    module, _, name = config["logger_class"].rpartition(".")
    logger_class = getattr(importlib.import_module(module), name)
    logger = logger_class.__new__(logger_class)
    logger.cfg = SimpleNamespace(logger_class=None)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/invite/{TOKEN}",
        "PATH_INFO": f"/invite/{TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://lead.example.org/invite/{TOKEN}",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="303 SEE OTHER", sent=0, headers=[])
    request = SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=5))
    assert atoms["U"] == "/invite/[withheld]"
    assert TOKEN not in " ".join(str(v) for v in atoms.values())
