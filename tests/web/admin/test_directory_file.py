"""The directory file on the administrators' page and at the command line: download (audited),
import (a list of changes, or every problem and nothing written), size limit, who may."""

from __future__ import annotations

import json
from io import BytesIO

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditAction, AuditEvent, Organization
from portal.services.hsds_schema import schema_problems
from tests.conftest import csrf_token, post
from tests.unit.test_hsds import build_directory, dump_tables
from tests.web.admin.helpers import text

PAGE = "/admin/directory/file"
EXPORT = "/admin/directory/hsds.json"


def upload(client, content: bytes, name: str = "directory.json"):
    return post(client, PAGE, {"file": (BytesIO(content), name)}, page=PAGE)


def download(client) -> dict:
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    return json.loads(response.get_data(as_text=True))


def test_the_directory_page_links_to_the_file_page(client, acting_admin):
    assert PAGE in text(client.get("/admin/organizations"))
    page = text(client.get(PAGE))
    assert EXPORT in page and 'enctype="multipart/form-data"' in page


def test_download_is_valid_hsds_and_audited(client, acting_admin, f):
    build_directory(f)
    document = download(client)
    assert schema_problems(document) == []
    assert {o["name"] for o in document["organizations"]} == {
        "FMRS Health Systems",
        "Health Department",
        "Closed Shelter",
    }
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.object_type)).all()
    assert (AuditAction.EXPORT, "directory") in actions


def test_upload_the_download_changes_nothing(client, acting_admin, f):
    build_directory(f)
    document = download(client)
    db.session.commit()
    before = dump_tables()
    response = upload(client, json.dumps(document).encode())
    assert response.status_code == 200
    assert "Nothing changed" in text(response)
    assert dump_tables() == before


def test_upload_an_edited_phone(client, acting_admin, f):
    build_directory(f)
    document = download(client)
    fmrs = next(o for o in document["organizations"] if o["name"] == "FMRS Health Systems")
    fmrs["phones"][0]["number"] = "(859) 555-0199"
    response = upload(client, json.dumps(document).encode())
    assert response.status_code == 200
    page = text(response)
    assert "File imported: 1 change" in page
    assert "phone changed from “(859) 555-0100” to “(859) 555-0199”" in page
    phone = db.session.scalar(
        select(Organization.phone).where(Organization.name == "FMRS Health Systems")
    )
    assert phone == "(859) 555-0199"
    changes = db.session.execute(
        select(AuditEvent.action, AuditEvent.object_type).where(
            AuditEvent.action == AuditAction.CHANGE
        )
    ).all()
    assert (AuditAction.CHANGE, "organizations") in changes
    assert (AuditAction.CHANGE, "directory_import") in changes


def test_a_bad_upload_lists_every_problem_and_changes_nothing(client, acting_admin, f):
    build_directory(f)
    document = download(client)
    document["organizations"][0]["name"] = "N" * 121
    document["organizations"][1]["description"] = "Would change."
    document["services"][1]["schedules"][0]["closes_at"] = "08:00"
    db.session.commit()
    before = dump_tables()
    response = upload(client, json.dumps(document).encode())
    assert response.status_code == 422
    page = text(response)
    assert 'role="alert"' in page and "nothing was changed" in page
    assert "<code>$.services[1].schedules[0].closes_at</code>: the session closes" in page
    assert "<code>$.organizations[0].name</code>: Use at most 120 characters." in page
    assert dump_tables() == before
    # A file the schema refuses lists the schema's problems, all of them.
    document["organizations"][0]["motto"] = "x"
    document["services"][0]["colour"] = "red"
    page = text(upload(client, json.dumps(document).encode()))
    assert "<code>$.organizations[0].motto</code>: unknown field" in page
    assert "<code>$.services[0].colour</code>: unknown field" in page


def test_not_json_is_refused(client, acting_admin):
    response = upload(client, b"<html>", "directory.json")
    assert response.status_code == 422
    assert "not JSON" in text(response)


def test_no_file_is_refused_beside_the_field(client, acting_admin):
    response = post(client, PAGE, {}, page=PAGE)
    assert response.status_code == 422
    assert "Choose the directory file to import." in text(response)


def test_a_too_large_upload_is_refused_before_it_is_read(client, acting_admin, monkeypatch, app):
    monkeypatch.setitem(app.config, "HSDS_MAX_BYTES", 1024)
    token = csrf_token(client, PAGE)
    big = b'{"organizations": [], "services": [], "pad": "' + b"x" * 200_000 + b'"}'
    response = client.post(PAGE, data={"csrf_token": token, "file": (BytesIO(big), "big.json")})
    assert response.status_code == 413
    assert "larger than 1.0 KB" in text(response) or "larger than" in text(response)


def test_a_file_just_over_the_limit_is_refused_by_the_service(
    client, acting_admin, monkeypatch, app
):
    # Within the form's allowance, past the file's limit: the service refuses it (422).
    monkeypatch.setitem(app.config, "HSDS_MAX_BYTES", 1024)
    response = upload(client, b" " * 2000)
    assert response.status_code == 422
    assert "larger than 1,024 bytes" in text(response)


def test_only_directory_managers_may_use_the_file(client, login_as, f):
    login_as(f.case_manager())
    for response in (client.get(PAGE), client.get(EXPORT)):
        assert response.status_code in (403, 404)
    token = csrf_token(client, "/admin/")
    response = client.post(
        PAGE, data={"csrf_token": token, "file": (BytesIO(b"{}"), "directory.json")}
    )
    assert response.status_code in (403, 404)
    assert db.session.scalar(select(Organization)) is None


# --- the command line ---------------------------------------------------------------------------


def test_cli_export_to_standard_output_and_to_a_file(runner, f, tmp_path):
    build_directory(f)
    db.session.commit()
    result = runner.invoke(args=["directory", "export"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert schema_problems(document) == []
    target = tmp_path / "directory.json"
    result = runner.invoke(args=["directory", "export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == document


def test_cli_import_good_then_again_then_bad(runner, f, tmp_path):
    build_directory(f)
    db.session.commit()
    document = json.loads(runner.invoke(args=["directory", "export"]).stdout)
    document["organizations"][0]["description"] = "Reopening in spring."
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document))
    result = runner.invoke(args=["directory", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 change(s):" in result.output
    assert "Organisation “Closed Shelter”: description changed" in result.output
    result = runner.invoke(args=["directory", "import", str(good)])
    assert result.exit_code == 0
    assert "Nothing changed" in result.output
    document["services"][0]["name"] = ""
    document["services"][0]["status"] = "open"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    before = dump_tables()
    result = runner.invoke(args=["directory", "import", str(bad)])
    assert result.exit_code == 1
    assert "nothing was changed" in result.stderr
    assert "$.services[0].status" in result.stderr
    assert dump_tables() == before


def test_cli_import_refuses_what_is_not_json(runner, tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b"\x00\x01")
    result = runner.invoke(args=["directory", "import", str(path)])
    assert result.exit_code == 1
    assert "$: " in result.stderr
