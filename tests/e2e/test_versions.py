"""The Versions tab and the diff page in a real browser: snapshot, no-change, tags, exports with
their SHA-256, compare; and who may see and do what."""

import hashlib

import pytest
from playwright.sync_api import Page, expect

import formats
from projects.models import Membership
from tests.annotate.factories import box, tag
from tests.annotate.labeling import label_and_submit
from tests.projects.factories import items_add, user_create
from tests.versioning.factories import TinyExporter, document_accepted, version_made
from versioning.models import DatasetVersion, ExportFile, Job, VersionTag

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("job_worker")]

SHOTS = "/tmp/versions-{}.png"


def open_versions(page: Page, live_server, project) -> None:
    page.goto(f"{live_server.url}/projects/{project.pk}/#versions")
    expect(page.get_by_test_id("tab-versions")).to_have_attribute("aria-selected", "true")


def relabel_through_the_api(api, project, item, shapes, reviewer) -> None:
    """A second annotator labels the item again and a reviewer accepts it, all over REST."""
    carl = user_create("carl_annotator")
    Membership.objects.create(project=project, user=carl, role="annotator")
    document_id = label_and_submit(api(carl), item.pk, shapes)
    reviewed = api(reviewer).post(
        f"/api/v1/annotations/{document_id}/review/", {"decision": "accept", "comment": ""}
    )
    assert reviewed.status_code == 200, reviewed.content


def test_manager_snapshots_tags_exports_and_compares_two_versions(
    page: Page, live_server, login, project, annotator, reviewer, api, console_errors
):
    # given three items, each with one accepted car
    items = items_add(project, 3, size=(160, 120))
    moved = box("car", (20, 20, 100, 100))
    for item in items:
        document_accepted(item, annotator, reviewer, [moved if item == items[1] else box()])
    login(page, "alice_manager")
    open_versions(page, live_server, project)
    expect(page.get_by_test_id("versions-empty")).to_contain_text("No versions yet.")

    # when the manager snapshots
    page.get_by_test_id("snapshot-message").fill("First cut")
    page.get_by_test_id("snapshot-button").click()

    # then the job runs to the end and the version is listed with its stats
    expect(page.get_by_test_id("snapshot-result")).to_contain_text("Created version ")
    first = DatasetVersion.objects.get()
    expect(page.get_by_test_id("snapshot-result")).to_have_text(
        f"Created version {first.pk[:12]} · 3 items."
    )
    progress = page.get_by_test_id("snapshot-jobs").get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "succeeded")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    rows = page.get_by_test_id("version-row")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_have_attribute("data-version-id", first.pk)
    expect(row.get_by_test_id("version-id")).to_have_text(first.pk[:12])
    expect(row.get_by_test_id("version-message")).to_have_text("First cut")
    expect(row.get_by_test_id("version-author")).to_have_text("alice_manager")
    expect(row.get_by_test_id("version-items")).to_have_text("3 items")
    expect(row.get_by_test_id("version-shapes")).to_have_text("3 shapes")
    assert (first.message, first.stats["items"], first.stats["shapes"]) == ("First cut", 3, 3)

    # when they snapshot again with nothing changed: told so, nothing new listed
    page.get_by_test_id("snapshot-message").fill("Again")
    page.get_by_test_id("snapshot-button").click()
    expect(page.get_by_test_id("snapshot-result")).to_have_text(
        f"No change: same as version {first.pk[:12]}."
    )
    expect(rows).to_have_count(1)
    assert DatasetVersion.objects.count() == 1
    assert Job.objects.filter(kind="snapshot").count() == 2

    # when they tag it "production"
    row.get_by_test_id("tag-add").click()
    row.get_by_test_id("tag-input").fill("production")
    row.get_by_test_id("tag-save").click()
    expect(row.get_by_test_id("version-tag")).to_have_text("production×")
    assert list(VersionTag.objects.values_list("name", "version_id")) == [("production", first.pk)]

    # when they export COCO: a job, then a download whose bytes hash to the SHA-256 shown
    row.get_by_test_id("export-toggle").click()
    row.get_by_test_id("export-coco").click()
    export_job = row.get_by_test_id("export-entry").get_by_test_id("job-progress")
    expect(export_job).to_have_attribute("data-status", "succeeded")
    sha_shown = row.get_by_test_id("export-sha256")
    expect(sha_shown).to_have_text(ExportFile.objects.get(version=first, format="coco").sha256)
    href = row.get_by_test_id("export-download").get_attribute("href")
    assert href is not None and href.startswith("/api/v1/jobs/")
    download = page.request.get(f"{live_server.url}{href}")  # the page's session cookie
    assert download.status == 200
    assert hashlib.sha256(download.body()).hexdigest() == sha_shown.text_content()
    assert b'"annotations"' in download.body()
    page.screenshot(path=SHOTS.format("tab"), full_page=True)

    # given one item relabelled over the API, when they snapshot: a second version
    relabel_through_the_api(
        api, project, items[1], [{**moved, "points": [20, 20, 100, 60]}], reviewer
    )
    page.get_by_test_id("snapshot-message").fill("Tighter car")
    page.get_by_test_id("snapshot-button").click()
    expect(page.get_by_test_id("snapshot-result")).to_contain_text("Created version")
    expect(rows).to_have_count(2)
    second = DatasetVersion.objects.exclude(pk=first.pk).get()
    newest = page.locator(f"[data-testid=version-row][data-version-id='{second.pk}']")
    expect(newest).to_have_class("version highlighted")
    assert second.parent_id == first.pk

    # when they move "production" to the new version, they are asked first
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    newest.get_by_test_id("tag-add").click()
    newest.get_by_test_id("tag-input").fill("production")
    newest.get_by_test_id("tag-save").click()
    expect(newest.get_by_test_id("version-tag")).to_have_text("production×")
    oldest = page.locator(f"[data-testid=version-row][data-version-id='{first.pk}']")
    expect(oldest.get_by_test_id("version-tag")).to_have_count(0)
    expect(rows.nth(1)).to_have_attribute("data-version-id", first.pk)  # newest first
    assert dialogs == [
        f'The tag "production" points to version {first.pk[:12]}. Move it to {second.pk[:12]}?'
    ]
    assert VersionTag.objects.get(name="production").version_id == second.pk

    # when they compare the new version with the first: exactly the relabelled item
    newest.get_by_test_id("compare-select").select_option(first.pk)
    expect(page).to_have_url(f"{live_server.url}/versions/{second.pk}/diff/?against={first.pk}")
    diff_rows = page.get_by_test_id("diff-row")
    expect(diff_rows).to_have_count(1)
    expect(diff_rows.first).to_have_attribute("data-item-id", str(items[1].pk))
    expect(diff_rows.first.get_by_test_id("diff-change")).to_have_text("changed")
    expect(page.get_by_test_id("total-items_changed")).to_have_text("1")
    expect(page.get_by_test_id("total-items_added")).to_have_text("0")
    expect(page.get_by_test_id("total-items_removed")).to_have_text("0")
    car = page.locator("[data-testid=summary-row][data-label=car]")
    expect(car.locator("[data-column=geometry_changed]")).to_have_text("1")
    expect(car.locator("[data-column=added]")).to_have_text("0")
    expect(page.get_by_test_id("summary-row")).to_have_count(1)
    expect(diff_rows.first.get_by_test_id("shape-iou")).to_have_text("geometry IoU 0.50")
    # before dashed and after solid: two outlines drawn over the thumbnail
    expect(diff_rows.first.get_by_test_id("diff-overlay")).to_have_attribute("data-drawn", "2")
    page.wait_for_function(
        """() => { const img = document.querySelector('[data-testid=diff-thumbnail]');
                   return img && img.complete && img.naturalWidth > 0; }"""
    )
    page.screenshot(path=SHOTS.format("diff"), full_page=True)
    assert console_errors == []


def test_annotator_sees_no_versions_tab_and_is_refused_the_diff_page(
    page: Page,
    live_server,
    login,
    project,
    manager,
    annotator,
    reviewer,
    outsider,
    api,
    console_errors,
):
    (item,) = items_add(project)
    document_accepted(item, annotator, reviewer)
    old = version_made(project, manager)
    document_accepted(item, user_create_member(project), reviewer, [box("person")])
    new = version_made(project, manager)

    login(page, "bob_annotator")
    page.goto(f"{live_server.url}/projects/{project.pk}/#versions")
    expect(page.get_by_test_id("project-name")).to_have_text(project.name)
    for hidden in ("tab-versions", "versions-panel", "snapshot-form", "version-list"):
        expect(page.get_by_test_id(hidden)).to_have_count(0)
    response = page.goto(f"{live_server.url}/versions/{new.pk}/diff/?against={old.pk}")
    assert response is not None and response.status == 403
    for path in ("diff/?against=" + old.pk, "items/", f"items/?ids={item.pk}"):
        assert api(annotator).get(f"/api/v1/versions/{new.pk}/{path}").status_code == 403
    expect(page.get_by_test_id("diff-row")).to_have_count(0)

    page.context.clear_cookies()
    login(page, "olga_outsider")
    response = page.goto(f"{live_server.url}/versions/{new.pk}/diff/?against={old.pk}")
    assert response is not None and response.status == 404
    assert all("403" in error or "404" in error for error in console_errors), console_errors


def user_create_member(project):
    carl = user_create("carl_annotator")
    Membership.objects.create(project=project, user=carl, role="annotator")
    return carl


def test_reviewer_views_versions_and_the_diff_but_cannot_snapshot_or_tag(
    page: Page, live_server, login, project, manager, annotator, reviewer, api, console_errors
):
    first_item, second_item = items_add(project, 2)
    document_accepted(first_item, annotator, reviewer)
    old = version_made(project, manager, message="one item")
    document_accepted(second_item, annotator, reviewer, [box("person"), box("car")])
    new = version_made(project, manager, message="two items")
    VersionTag.objects.create(project=project, name="v1.0", version=old, updated_by=manager)

    login(page, "rita_reviewer")
    open_versions(page, live_server, project)
    rows = page.get_by_test_id("version-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-version-id", new.pk)
    expect(rows.nth(1).get_by_test_id("version-tag")).to_have_text("v1.0")
    for absent in ("snapshot-form", "snapshot-button", "tag-add", "tag-remove", "tag-form"):
        expect(page.get_by_test_id(absent)).to_have_count(0)
    listed = api(reviewer).get(f"/api/v1/versions/{new.pk}/items/?ids={second_item.pk}")
    assert listed.status_code == 200
    (entry,) = listed.json()["results"]
    assert (entry["item"], entry["width"], entry["height"]) == (second_item.pk, 64, 48)
    assert [shape["label"] for shape in entry["shapes"]] == ["person", "car"]
    refused = api(reviewer).post(f"/api/v1/projects/{project.pk}/versions/", {"message": "x"})
    assert refused.status_code == 403
    assert Job.objects.filter(kind="snapshot").count() == 2  # the two the manager made

    page.screenshot(path=SHOTS.format("reviewer"), full_page=True)
    page.set_viewport_size({"width": 420, "height": 900})
    page.screenshot(path=SHOTS.format("reviewer-narrow"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})

    # the older side chosen from the newer row still reads old -> new
    rows.nth(1).get_by_test_id("compare-select").select_option(new.pk)
    expect(page).to_have_url(f"{live_server.url}/versions/{new.pk}/diff/?against={old.pk}")
    diff_rows = page.get_by_test_id("diff-row")
    expect(diff_rows).to_have_count(1)
    expect(diff_rows.first).to_have_attribute("data-item-id", str(second_item.pk))
    # the item was in the first version too, unlabelled: changed, with two shapes added
    expect(diff_rows.first.get_by_test_id("diff-change")).to_have_text("changed")
    changes = diff_rows.first.get_by_test_id("shape-change")
    expect(changes).to_have_count(2)
    assert [changes.nth(n).get_attribute("data-change") for n in range(2)] == ["added", "added"]
    expect(page.get_by_test_id("total-items_changed")).to_have_text("1")
    expect(diff_rows.first.get_by_test_id("diff-overlay")).to_have_attribute("data-drawn", "2")
    person = page.locator("[data-testid=summary-row][data-label=person]")
    expect(person.locator("[data-column=added]")).to_have_text("1")
    assert console_errors == []


def test_the_diff_page_shows_every_kind_of_change_a_page_at_a_time(
    page: Page, live_server, login, project, manager, annotator, reviewer, console_errors
):
    # given eleven labelled items, then a second annotator's accepted relabel of each, and one
    # item uploaded after the first version
    items = items_add(project, 11, size=(160, 120))
    originals = [box("car", (10, 10, 90, 70)) for _ in items]
    originals[1] = box("person", (10, 10, 90, 70), attributes={"pose": "sitting"})
    for item, shape in zip(items, originals, strict=True):
        document_accepted(item, annotator, reviewer, [shape])
    old = version_made(project, manager, message="before review")
    carl = user_create_member(project)
    relabels = [[{**shape, "points": [10, 10, 90, 40]}] for shape in originals]
    relabels[0] = [{**originals[0], "label": "person"}]
    relabels[1] = [{**originals[1], "attributes": {"pose": "standing"}}]
    relabels[2] = [box("car", (100, 60, 150, 110)), tag("night")]
    for item, shapes in zip(items, relabels, strict=True):
        document_accepted(item, carl, reviewer, shapes)
    (late,) = items_add(project, 1, size=(120, 160))
    document_accepted(late, annotator, reviewer, [box("person", (5, 5, 60, 100))])
    new = version_made(project, manager, message="after review")

    login(page, "rita_reviewer")
    page.goto(f"{live_server.url}/versions/{new.pk}/diff/?against={old.pk}")
    rows = page.get_by_test_id("diff-row")
    expect(rows).to_have_count(10)
    expect(page.get_by_test_id("diff-count")).to_have_text("12")
    expect(page.get_by_test_id("total-items_changed")).to_have_text("11")
    expect(page.get_by_test_id("total-items_added")).to_have_text("1")
    relabelled = page.locator(f"[data-testid=diff-row][data-item-id='{items[0].pk}']")
    expect(relabelled.get_by_test_id("shape-change")).to_have_text("personboxclass car → person")
    posed = page.locator(f"[data-testid=diff-row][data-item-id='{items[1].pk}']")
    expect(posed.get_by_test_id("shape-change")).to_have_text("personboxattributes (pose)")
    swapped = page.locator(f"[data-testid=diff-row][data-item-id='{items[2].pk}']")
    expect(swapped.get_by_test_id("shape-change")).to_have_count(3)
    assert [
        swapped.get_by_test_id("shape-change").nth(n).get_attribute("data-change") for n in range(3)
    ] == ["removed", "added", "added"]
    # the removed car dashed, the new car solid; a tag has no outline
    expect(swapped.get_by_test_id("diff-overlay")).to_have_attribute("data-drawn", "3")
    summary = page.get_by_test_id("summary-row")
    expect(summary).to_have_count(3)
    car = page.locator("[data-testid=summary-row][data-label=car]")
    expect(car.locator("[data-column=geometry_changed]")).to_have_text("8")
    expect(car.locator("[data-column=class_changed_from]")).to_have_text("1")
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('[data-testid=diff-thumbnail]'))
            .slice(0, 3).every((img) => img.complete && img.naturalWidth > 0)"""
    )
    page.screenshot(path=SHOTS.format("diff-kinds"), full_page=True)

    page.get_by_test_id("diff-next").click()
    expect(rows).to_have_count(2)
    expect(page.locator("[data-testid=diff-pager] .pager-text")).to_have_text(
        "Page 2 of 2 · 12 items"
    )
    added = page.locator(f"[data-testid=diff-row][data-item-id='{late.pk}']")
    expect(added.get_by_test_id("diff-change")).to_have_text("added")
    expect(added.get_by_test_id("diff-overlay")).to_have_attribute("data-drawn", "1")
    assert console_errors == []


def test_a_failed_export_shows_its_error_and_no_download(
    tasks_in_process,  # the broken codec is patched into this process: run the job here
    page: Page,
    live_server,
    login,
    project,
    manager,
    annotator,
    reviewer,
    monkeypatch,
    console_errors,
):
    def broken_codec(out, *, labels, items):
        raise ValueError("the codec ran out of disk")

    monkeypatch.setitem(
        formats.EXPORTERS,
        "voc",
        TinyExporter(write=broken_codec, extension="zip", media_type="application/zip"),
    )
    (item,) = items_add(project)
    document_accepted(item, annotator, reviewer)
    version = version_made(project, manager)

    login(page, "rita_reviewer")  # reviewers export too
    open_versions(page, live_server, project)
    row = page.get_by_test_id("version-row").first
    row.get_by_test_id("export-toggle").click()
    page.screenshot(path=SHOTS.format("export-menu"))
    row.get_by_test_id("export-voc").click()
    entry = row.get_by_test_id("export-entry")
    expect(entry.get_by_test_id("job-progress")).to_have_attribute("data-status", "failed")
    expect(entry.get_by_test_id("job-state")).to_have_text("Failed")
    expect(entry.get_by_test_id("export-error")).to_have_text(
        "ValueError: the codec ran out of disk"
    )
    expect(entry.get_by_test_id("export-download")).to_have_count(0)
    assert not ExportFile.objects.filter(version=version).exists()
    assert Job.objects.get(kind="export").status == "failed"
    page.screenshot(path=SHOTS.format("export-failed"), full_page=True)
    assert console_errors == []


def test_job_polling_waits_while_the_tab_is_hidden(
    page: Page, live_server, login, project, annotator, reviewer, console_errors
):
    (item,) = items_add(project)
    document_accepted(item, annotator, reviewer)
    # document.hidden as the test says: Chromium headless never hides a tab by itself
    page.add_init_script(
        "Object.defineProperty(document, 'hidden', "
        "{configurable: true, get: () => window.__hidden === true});"
    )
    login(page, "alice_manager")
    open_versions(page, live_server, project)
    polls: list[str] = []
    page.on(
        "request", lambda request: polls.append(request.url) if "/jobs/" in request.url else None
    )

    page.evaluate("window.__hidden = true")
    page.get_by_test_id("snapshot-button").click()
    progress = page.get_by_test_id("snapshot-jobs").get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    page.wait_for_timeout(1500)
    assert polls == []
    expect(progress).to_have_attribute("data-status", "queued")
    assert DatasetVersion.objects.count() == 1  # the job itself ran; only the page waited

    page.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")
    expect(progress).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("version-row")).to_have_count(1)
    assert len(polls) == 1
    assert console_errors == []
