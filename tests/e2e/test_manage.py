"""The manager's pages in a real browser: create a project, upload, members, role-gated panels."""

import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from annotate import services as annotate_services
from annotate.models import AnnotationDocument
from projects.models import Item, Membership, Project
from storage.models import Asset
from tests.annotate.factories import box
from tests.projects import factories as projects_factories
from tests.projects.factories import items_add
from tests.storage.factories import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


# Chromium logs every refused request; these are the refusals the tests provoke on purpose.
REFUSED_400 = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
REFUSED_409 = "Failed to load resource: the server responded with a status of 409 (Conflict)"


def write_pngs(directory: Path, count: int, prefix: str = "photo") -> list[Path]:
    paths = []
    for number in range(count):
        path = directory / f"{prefix}{number}.png"
        path.write_bytes(image_bytes(80, 60))
        paths.append(path)
    return paths


def open_tab(page: Page, name: str) -> None:
    page.get_by_test_id(f"tab-{name}").click()
    expect(page.get_by_test_id(f"tab-{name}")).to_have_attribute("aria-selected", "true")


def wait_for_thumbnails(page: Page, count: int) -> None:
    """Thumbnails load lazily (and are made on first request when no worker made them yet)."""
    page.wait_for_function(
        """(count) => Array.from(document.querySelectorAll('[data-testid=item-tile] img'))
            .filter((img) => img.complete && img.naturalWidth > 0).length === count""",
        arg=count,
    )


def test_manager_creates_a_project_with_box_and_tag_classes(
    page: Page, live_server, login, manager, console_errors
):
    login(page, "alice_manager")
    page.get_by_test_id("new-project").click()
    expect(page).to_have_url(f"{live_server.url}/projects/new/")

    page.get_by_test_id("field-name").fill("Street scenes")
    page.get_by_test_id("field-description").fill("Cars and people at crossings")
    page.get_by_test_id("field-overlap").fill("2")
    page.get_by_test_id("field-guidelines").fill("# Boxes\n\nDraw **tight** boxes.")
    rows = page.get_by_test_id("label-row")
    rows.nth(0).get_by_test_id("label-name").fill("car")
    rows.nth(0).get_by_test_id("label-color").fill("#ff0000")
    rows.nth(0).get_by_test_id("label-kind").select_option("box")
    page.get_by_test_id("label-add").click()
    rows.nth(1).get_by_test_id("label-name").fill("car")  # a duplicate the server refuses
    rows.nth(1).get_by_test_id("label-color").fill("#00ff00")
    rows.nth(1).get_by_test_id("attribute-add").click()
    rows.nth(1).get_by_test_id("attribute-name").fill("pose")
    rows.nth(1).get_by_test_id("attribute-type").select_option("select")
    rows.nth(1).get_by_test_id("attribute-values").fill("standing, sitting ,")
    page.get_by_test_id("label-add").click()
    rows.nth(2).get_by_test_id("label-name").fill("night")
    rows.nth(2).get_by_test_id("label-color").fill("#000080")
    rows.nth(2).get_by_test_id("label-kind").select_option("tag")

    assert console_errors == []
    page.get_by_test_id("project-submit").click()
    expect(page.get_by_test_id("form-error")).to_have_text(
        "labels.1.name: Duplicate label name 'car'."
    )
    expect(rows.nth(1).get_by_test_id("label-error")).to_have_text("Duplicate label name 'car'.")
    expect(rows.nth(1).get_by_test_id("label-name")).to_have_attribute("aria-invalid", "true")
    assert Project.objects.count() == 0

    rows.nth(1).get_by_test_id("label-name").fill("person")
    page.get_by_test_id("project-submit").click()
    expect(page.get_by_test_id("project-name")).to_have_text("Street scenes")

    project = Project.objects.get()
    assert page.url == f"{live_server.url}/projects/{project.pk}/"
    assert (project.name, project.description, project.overlap) == (
        "Street scenes",
        "Cars and people at crossings",
        2,
    )
    assert project.guidelines == "# Boxes\n\nDraw **tight** boxes."
    assert len({label.pop("id") for label in project.labels}) == 3
    assert [{k: v for k, v in label.items() if "group" not in k} for label in project.labels] == [
        {
            "name": "car",
            "color": "#ff0000",
            "kind": "box",
            "attributes": [],
            "keypoints": [],
            "skeleton": [],
        },
        {
            "name": "person",
            "color": "#00ff00",
            "kind": "box",
            "attributes": [
                {
                    "name": "pose",
                    "type": "select",
                    "values": ["standing", "sitting"],
                    "default": None,
                }
            ],
            "keypoints": [],
            "skeleton": [],
        },
        {
            "name": "night",
            "color": "#000080",
            "kind": "tag",
            "attributes": [],
            "keypoints": [],
            "skeleton": [],
        },
    ]
    assert list(Membership.objects.values_list("user__username", "role")) == [
        ("alice_manager", "manager")
    ]
    expect(page.get_by_test_id("guidelines").locator("h1")).to_have_text("Boxes")
    expect(page.get_by_test_id("class-item")).to_have_count(3)
    assert console_errors == [REFUSED_400]  # only the duplicate name, nothing else


def test_manager_uploads_images_and_a_zip_and_sees_refusals(
    page: Page, live_server, login, project, tmp_path, console_errors
):
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    open_tab(page, "items")
    expect(page.get_by_test_id("items-empty")).to_be_visible()

    page.get_by_test_id("upload-input").set_input_files(write_pngs(tmp_path, 3))
    expect(page.get_by_test_id("upload-selection")).to_contain_text("3 images selected")
    page.get_by_test_id("upload-button").click()
    expect(page.get_by_test_id("upload-result")).to_have_text("Uploaded 3 images")
    progress = page.get_by_test_id("upload-progress")
    expect(progress).to_have_count(1)
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(progress).to_contain_text("Done · 3 images")
    tiles = page.get_by_test_id("item-tile")
    expect(tiles).to_have_count(3)
    wait_for_thumbnails(page, 3)
    items = list(Item.objects.filter(project=project).order_by("id"))
    assert [item.name for item in items] == ["photo0.png", "photo1.png", "photo2.png"]
    assert [hasattr(item, "gold") for item in items] == [False, False, False]
    assert Asset.objects.count() == 3
    assert [tiles.nth(n).get_attribute("href") for n in range(3)] == [
        f"/items/{item.pk}/label/" for item in items
    ]

    archive = tmp_path / "more.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name in ("zipped0.png", "zipped1.png"):
            bundle.writestr(f"batch/{name}", image_bytes(80, 60))
    page.get_by_test_id("upload-role").select_option("gold")
    page.get_by_test_id("upload-input").set_input_files(archive)
    page.get_by_test_id("upload-button").click()
    expect(page.get_by_test_id("upload-result")).to_have_text("Uploaded 2 images")
    expect(tiles).to_have_count(5)
    expect(page.get_by_test_id("item-total")).to_have_text("5 items")
    assert sorted(
        Item.objects.filter(project=project, gold__purpose="hidden").values_list("name", flat=True)
    ) == ["zipped0.png", "zipped1.png"]
    assert Item.objects.filter(project=project).count() == 5
    assert Asset.objects.count() == 5

    assert console_errors == []
    fake = tmp_path / "notes.png"
    fake.write_text("these are meeting notes, not pixels")
    page.get_by_test_id("upload-input").set_input_files(fake)
    page.get_by_test_id("upload-button").click()
    expect(page.get_by_test_id("upload-error")).to_have_text(
        "notes.png: not an image Loupe can read."
    )
    expect(page.get_by_test_id("upload-result")).to_be_hidden()
    expect(page.get_by_test_id("upload-progress")).to_contain_text("Failed")
    assert Item.objects.filter(project=project).count() == 5
    assert Asset.objects.count() == 5
    expect(tiles).to_have_count(5)
    wait_for_thumbnails(page, 5)
    assert console_errors == [REFUSED_400]


def test_manager_adds_changes_and_removes_a_member(
    page: Page, live_server, login, manager, annotator, console_errors
):
    project = projects_factories.project_with_members(manager=manager)
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#members")
    rows = page.get_by_test_id("member-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("alice_manager")
    expect(rows.first.get_by_test_id("member-remove")).to_have_count(0)  # never yourself

    page.get_by_test_id("member-username").fill("bob_annotator")
    page.get_by_test_id("member-role").select_option("annotator")
    page.get_by_test_id("member-add").click()
    bob = page.locator("[data-testid=member-row][data-username=bob_annotator]")
    expect(bob).to_be_visible()
    expect(bob.get_by_test_id("member-role-select")).to_have_value("annotator")
    expect(page.get_by_test_id("member-username")).to_have_value("")
    assert Membership.objects.get(project=project, user=annotator).role == "annotator"

    assert console_errors == []
    page.get_by_test_id("member-username").fill("nobody_here")
    page.get_by_test_id("member-add").click()
    expect(page.get_by_test_id("member-error")).to_have_text("No user named 'nobody_here'.")
    expect(rows).to_have_count(2)
    assert Membership.objects.filter(project=project).count() == 2

    with page.expect_response(lambda response: "/members/" in response.url) as answer:
        bob.get_by_test_id("member-role-select").select_option("reviewer")
    assert answer.value.status == 201
    assert Membership.objects.get(project=project, user=annotator).role == "reviewer"

    bob.get_by_test_id("member-remove").click()
    expect(rows).to_have_count(1)
    assert not Membership.objects.filter(project=project, user=annotator).exists()
    page.reload()
    expect(rows).to_have_count(1)
    assert console_errors == [REFUSED_400]


def test_annotator_sees_guidelines_without_manager_panels_and_outsider_gets_404(
    page: Page, live_server, login, project, api, annotator, outsider, console_errors
):
    project.guidelines = (
        "## Cars\n\nBox **every** car.\n\n- one\n- two\n\n<script>alert(1)</script>"
    )
    project.save()
    login(page, "bob_annotator")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    expect(page.get_by_test_id("project-name")).to_have_text(project.name)
    guidelines = page.get_by_test_id("guidelines")
    expect(guidelines.locator("h2")).to_have_text("Cars")
    expect(guidelines.locator("strong")).to_have_text("every")
    expect(guidelines.locator("li")).to_have_count(2)
    expect(guidelines).to_contain_text("<script>alert(1)</script>")
    expect(guidelines.locator("script")).to_have_count(0)
    expect(page.get_by_test_id("start-labeling")).to_have_attribute(
        "href", f"/projects/{project.pk}/label/"
    )
    expect(page.get_by_test_id("class-item")).to_have_count(3)
    for hidden in ("tabs", "upload-input", "upload-button", "member-username", "document-list"):
        expect(page.get_by_test_id(hidden)).to_have_count(0)

    client = api(annotator)
    refused = client.post(
        f"/api/v1/projects/{project.pk}/items/", {"file": io.BytesIO(image_bytes())}
    )
    assert refused.status_code == 403
    assert client.get(f"/api/v1/projects/{project.pk}/members/").status_code == 403
    assert Item.objects.filter(project=project).count() == 0
    assert console_errors == []

    page.context.clear_cookies()
    login(page, "olga_outsider")
    response = page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert response is not None and response.status == 404


def test_reviewer_sees_submitted_annotations_linking_to_their_items(
    page: Page, live_server, login, project, annotator, reviewer, console_errors
):
    first, second = items_add(project, 2)
    for item in (first, second):
        annotate_services.annotation_save(
            user=annotator, item=item, shapes=[box()], expected_version=0
        )
    annotate_services.annotation_submit(user=annotator, item=second)
    login(page, "rita_reviewer")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    rows = page.get_by_test_id("document-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("bob_annotator")
    # each row opens that annotator's document (not the reviewer's own), named by its file
    submitted = AnnotationDocument.objects.get(item=second)
    link = rows.first.get_by_test_id("document-link")
    expect(link).to_have_attribute("href", f"/items/{second.pk}/label/?document={submitted.pk}")
    expect(link).to_have_text(second.name)
    page.get_by_test_id("documents-status").select_option("draft")
    expect(rows).to_have_count(1)
    draft = AnnotationDocument.objects.get(item=first)
    expect(rows.first.get_by_test_id("document-link")).to_have_attribute(
        "href", f"/items/{first.pk}/label/?document={draft.pk}"
    )
    open_tab(page, "items")
    expect(page.get_by_test_id("item-tile")).to_have_count(2)
    expect(page.get_by_test_id("upload-input")).to_have_count(0)
    expect(page.get_by_test_id("tab-settings")).to_have_count(0)
    open_tab(page, "members")
    expect(page.get_by_test_id("member-row")).to_have_count(3)
    expect(page.get_by_test_id("member-add")).to_have_count(0)
    assert console_errors == []


def test_manager_edits_the_label_schema_and_guidelines_in_settings(
    page: Page, live_server, login, project, console_errors
):
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#settings")
    rows = page.get_by_test_id("label-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1).get_by_test_id("attribute-values")).to_have_value("standing, sitting")
    page.get_by_test_id("label-add").click()
    rows.nth(3).get_by_test_id("label-name").fill("pedestrian")
    rows.nth(3).get_by_test_id("label-color").fill("#123456")
    rows.nth(3).get_by_test_id("label-kind").select_option("keypoints")
    rows.nth(3).get_by_test_id("label-keypoints").fill("head, left-foot, right-foot")
    rows.nth(3).get_by_test_id("label-skeleton").fill("head-left-foot, head-right-foot")
    rows.nth(0).get_by_test_id("label-remove").click()
    page.get_by_test_id("field-guidelines").fill("Label *everything*.")
    page.get_by_test_id("field-overlap").fill("3")
    page.get_by_test_id("project-submit").click()
    expect(page.get_by_test_id("form-saved")).to_have_text("Saved.")
    expect(page.get_by_test_id("overlap-meta")).to_have_text("3 annotators per item")

    project.refresh_from_db()
    assert [label["name"] for label in project.labels] == ["person", "night", "pedestrian"]
    assert project.labels[2] == {
        "id": project.labels[2]["id"],
        "name": "pedestrian",
        "color": "#123456",
        "kind": "keypoints",
        "attributes": [],
        "keypoints": ["head", "left-foot", "right-foot"],
        "skeleton": [[0, 1], [0, 2]],
        "group": None,
        "group_choice": None,
    }
    assert (project.guidelines, project.overlap) == ("Label *everything*.", 3)
    open_tab(page, "overview")
    expect(page.get_by_test_id("guidelines").locator("em")).to_have_text("everything")
    expect(page.get_by_test_id("class-item")).to_have_count(3)
    assert console_errors == []


def test_saving_settings_unchanged_keeps_every_schema_detail(
    page: Page, live_server, login, manager, console_errors
):
    labels = [
        {
            "name": "square",
            "color": "#3cb44b",
            "kind": "box",  # a box class that also carries keypoints, as the demo's scenes do
            "attributes": [
                {"name": "pose", "type": "select", "values": ["a", "b-c"], "default": "a"},
                {"name": "occluded", "type": "checkbox", "values": [], "default": True},
                {"name": "count", "type": "number", "values": [], "default": 3},
                {"name": "note", "type": "text", "values": [], "default": None},
            ],
            "keypoints": ["top-left", "top-right", "bottom"],
            "skeleton": [[0, 1], [1, 2], [2, 0]],
        },
        {
            "name": "mask",
            "color": "#911eb4",
            "kind": "mask",
            "attributes": [],
            "keypoints": [],
            "skeleton": [],
        },
    ]
    project = projects_factories.project_with_members(manager=manager, labels=labels)
    project.guidelines = "Keep *this*."
    project.save()
    before = Project.objects.get(pk=project.pk)
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#settings")
    expect(page.get_by_test_id("label-row")).to_have_count(2)
    expect(page.get_by_test_id("label-skeleton").first).to_have_value(
        "top-left-top-right, top-right-bottom, bottom-top-left"
    )
    page.get_by_test_id("project-submit").click()
    expect(page.get_by_test_id("form-saved")).to_have_text("Saved.")

    after = Project.objects.get(pk=project.pk)
    assert after.labels == before.labels
    assert [{k: v for k, v in label.items() if k in labels[0]} for label in after.labels] == labels
    assert (after.name, after.description, after.guidelines, after.overlap) == (
        before.name,
        before.description,
        "Keep *this*.",
        before.overlap,
    )
    assert console_errors == []


def test_renaming_a_class_in_use_keeps_its_shapes_and_deleting_one_asks_first(
    page: Page, live_server, login, project, annotator, console_errors
):
    # given a document holding a car and a person
    (item,) = items_add(project)
    car, person = box("car"), box("person")
    annotate_services.annotation_save(
        user=annotator, item=item, shapes=[car, person], expected_version=0
    )
    car_id = project.label("car")["id"]
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#settings")
    rows = page.get_by_test_id("label-row")
    expect(rows).to_have_count(3)

    # when the manager renames car
    rows.nth(0).get_by_test_id("label-name").fill("automobile")
    page.get_by_test_id("project-submit").click()
    expect(page.get_by_test_id("form-saved")).to_have_text("Saved.")

    # then the car is an automobile of the same class
    shapes = AnnotationDocument.objects.get().shapes
    assert [(s["id"], s["label"], s.get("label_id")) for s in shapes][0] == (
        car["id"],
        "automobile",
        car_id,
    )

    # when they remove person, which one shape uses: asked first, then done
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    rows.nth(1).get_by_test_id("label-remove").click()
    page.get_by_test_id("project-submit").click()
    expect(page.get_by_test_id("form-saved")).to_have_text("Saved.")

    assert "1 shape(s) in 1 document(s)" in dialogs[0]
    shapes = AnnotationDocument.objects.get().shapes
    assert [s["id"] for s in shapes] == [car["id"]]
    project.refresh_from_db()
    assert [label["name"] for label in project.labels] == ["automobile", "night"]
    assert console_errors == [REFUSED_409]


def test_manager_puts_tag_classes_in_a_single_choice_group(
    page: Page, live_server, login, project, console_errors
):
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#settings")
    rows = page.get_by_test_id("label-row")
    expect(rows.nth(0).get_by_test_id("label-group")).to_be_hidden()
    rows.nth(2).get_by_test_id("label-group").fill("time of day")
    page.get_by_test_id("label-add").click()
    rows.nth(3).get_by_test_id("label-name").fill("day")
    rows.nth(3).get_by_test_id("label-kind").select_option("tag")
    rows.nth(3).get_by_test_id("label-group").fill("time of day")
    page.get_by_test_id("project-submit").click()
    expect(page.get_by_test_id("form-saved")).to_have_text("Saved.")

    project.refresh_from_db()
    assert [(label["name"], label["group"], label["group_choice"]) for label in project.labels] == [
        ("car", None, None),
        ("person", None, None),
        ("night", "time of day", "single"),
        ("day", "time of day", "single"),
    ]
    assert console_errors == []
