"""A manager uploads a batch with a bad file among good ones: the good ones land, the Uploads
panel says which file was refused and why, one line per refused file."""

import zipfile

import pytest
from playwright.sync_api import Page, expect

from projects.models import Item
from storage.models import Asset
from tests.e2e.test_manage import open_tab, wait_for_thumbnails, write_pngs
from tests.storage.factories import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = "/tmp/shots/vapi"


def test_manager_sees_the_good_files_stored_and_each_refused_file_named(
    page: Page, live_server, login, project, tmp_path, console_errors
):
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    open_tab(page, "items")

    # nine photos and one text file dressed as a png, in one batch
    fake = tmp_path / "fake.png"
    fake.write_text("these are meeting notes, not pixels")
    paths = write_pngs(tmp_path, 9)
    page.get_by_test_id("upload-input").set_input_files([*paths[:4], fake, *paths[4:]])
    page.get_by_test_id("upload-button").click()

    expect(page.get_by_test_id("upload-result")).to_have_text(
        "Uploaded 9 images; refused fake.png: not an image Loupe can read."
    )
    expect(page.get_by_test_id("upload-progress")).to_contain_text("Done · 9 images, 1 refused")
    expect(page.get_by_test_id("upload-error")).to_be_hidden()
    expect(page.get_by_test_id("item-tile")).to_have_count(9)
    wait_for_thumbnails(page, 9)
    page.screenshot(path=f"{SHOTS}/upload-refused-one.png", full_page=True)
    assert Item.objects.filter(project=project).count() == 9

    # a zip with two bad members, one good new image and one already present
    archive = tmp_path / "more.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("new.png", image_bytes(80, 60))
        bundle.writestr("again.png", paths[0].read_bytes())
        bundle.writestr("cut.png", image_bytes(200, 200)[:120])
        bundle.writestr("notes.jpg", b"not a jpeg")
    page.get_by_test_id("upload-input").set_input_files(archive)
    page.get_by_test_id("upload-button").click()

    result = page.get_by_test_id("upload-result")
    expect(result).to_contain_text("Uploaded 1 image, 1 already present; refused cut.png: image")
    lines = result.inner_text().split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("Uploaded 1 image, 1 already present; refused cut.png: image data")
    assert lines[1] == "refused notes.jpg: not an image Loupe can read."
    expect(page.get_by_test_id("item-tile")).to_have_count(10)
    page.screenshot(path=f"{SHOTS}/upload-refused-zip.png", full_page=True)
    assert Item.objects.filter(project=project).count() == 10
    assert Asset.objects.count() == 10
    assert console_errors == []
