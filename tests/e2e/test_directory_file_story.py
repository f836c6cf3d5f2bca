"""The directory as an HSDS file, in a browser: the administrator opens it from the providers'
page, downloads the demo's directory, imports the same file back (nothing changes, and the page
says so), then a file with a field HSDS does not know: refused, its problem listed (axe checks
both answers). The demo's directory is left as it was for the other stories."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.admin import Admin

pytestmark = pytest.mark.e2e

ADMIN = "admin@lead.example.org"


def test_an_administrator_downloads_and_imports_the_directory(cast, tmp_path):
    admin = cast.actor(Admin, ADMIN, {"width": 1280, "height": 800})
    admin.sign_in()
    page = admin.page
    admin.goto("/admin/organizations")
    page.get_by_role("link", name="Directory file (HSDS): download or import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Directory file")
    admin.checks("directory file")

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Download the directory")).click()
    download = Path(info.value.path())
    document = json.loads(download.read_text(encoding="utf-8"))
    assert document["organizations"] and document["services"]

    chooser = page.get_by_label(re.compile(r"^Directory file \(HSDS 3\.0 JSON\)"))
    chooser.set_input_files(str(download))
    page.get_by_role("button", name="Import the file").click()
    expect(page.get_by_role("heading", name="Nothing changed")).to_be_visible()
    admin.checks("directory file imported")

    document["organizations"][0]["motto"] = "Not an HSDS field"
    bad = tmp_path / "directory.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    page.get_by_label(re.compile(r"^Directory file \(HSDS 3\.0 JSON\)")).set_input_files(str(bad))
    with admin.console.allowing(r"status of 422"):  # the refusal's status, as designed
        page.get_by_role("button", name="Import the file").click()
        alert = page.get_by_role("alert").filter(has_text="The file was refused")
        expect(alert).to_contain_text("$.organizations[0].motto")
    expect(alert).to_contain_text("unknown field")
    admin.checks("directory file refused")
