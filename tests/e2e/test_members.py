"""The Members tab in a real browser: annotator records, promotion, new accounts and invite
links; the training settings and re-qualification."""

import pytest
from django.contrib.auth import authenticate
from playwright.sync_api import Browser, Page, expect

from annotate.training import exam_start
from projects.models import Membership, Project
from tests.annotate.labeling import label_and_submit
from tests.conftest import client_for
from tests.e2e.test_training import SHOTS
from tests.projects.factories import items_add
from tests.quality.factories import gold_add
from tests.quality.test_training import next_item, status

pytestmark = pytest.mark.django_db(transaction=True)


def qualify(project: Project, manager, annotator) -> None:
    """bob goes through one training item and a one-item exam, right every time."""
    (training,) = items_add(project, role="training")
    golds = items_add(project, 2, role="gold")
    for item in [training, *golds]:
        gold_add(item, manager)
    Project.objects.filter(pk=project.pk).update(exam_items=1, gold_rate=0.0)
    bob = client_for(annotator)
    from tests.annotate.factories import box

    label_and_submit(bob, next_item(bob, project).json()["id"], [box()])
    exam_start(user=annotator, project=Project.objects.get(pk=project.pk))
    label_and_submit(bob, next_item(bob, project).json()["id"], [box()])
    assert status(bob, project)["stage"] == "work"


def test_a_manager_sees_records_promotes_and_brings_in_new_annotators(
    page: Page, browser: Browser, live_server, login, project, manager, annotator, console_errors
):
    qualify(project, manager, annotator)
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#members")

    bob = page.locator("[data-testid=member-row][data-username=bob_annotator]")
    expect(bob.get_by_test_id("member-status")).to_have_text("Qualified")
    expect(bob.get_by_test_id("member-training")).to_contain_text("1/1")
    expect(bob.get_by_test_id("member-exam")).to_have_text("Exam: passed 100%")
    expect(bob.get_by_test_id("member-gold")).to_have_text("100% over 1")

    page.get_by_test_id("account-username").fill("newcomer")
    page.get_by_test_id("account-create").click()
    password = page.get_by_test_id("account-password").input_value()
    assert authenticate(username="newcomer", password=password) is not None
    newcomer = page.locator("[data-testid=member-row][data-username=newcomer]")
    expect(newcomer.get_by_test_id("member-status")).to_have_text("In training")

    page.get_by_test_id("invite-create").click()
    url = page.get_by_test_id("invite-url").input_value()
    assert url.startswith(f"{live_server.url}/invite/")
    page.get_by_test_id("member-list").screenshot(path=f"{SHOTS}/6-member-records.png")
    page.get_by_test_id("invite-panel").screenshot(path=f"{SHOTS}/6-invite.png")

    with page.expect_response(lambda response: "/members/" in response.url) as answer:
        bob.get_by_test_id("member-promote").click()
    assert answer.value.status == 201
    expect(bob.get_by_test_id("member-role-select")).to_have_value("reviewer")
    assert Membership.objects.get(project=project, user=annotator).role == "reviewer"

    guest = browser.new_context()
    invited = guest.new_page()
    invited.goto(url)
    invited.get_by_test_id("invite-username").fill("ivy")
    invited.get_by_test_id("invite-password").fill("a long passphrase 42")
    invited.get_by_test_id("invite-password2").fill("a long passphrase 42")
    invited.get_by_test_id("invite-submit").click()
    expect(invited.get_by_test_id("project-name")).to_have_text(project.name)
    expect(invited.get_by_test_id("my-role")).to_have_text("annotator")
    invited.goto(url)
    expect(invited.get_by_test_id("invite-invalid")).to_be_visible()
    guest.close()
    assert console_errors == []


def test_a_manager_sets_the_exam_and_requires_requalification(
    page: Page, live_server, login, project, manager, annotator, console_errors
):
    qualify(project, manager, annotator)
    login(page, "alice_manager")
    page.goto(f"{live_server.url}/projects/{project.pk}/#settings")

    expect(page.get_by_test_id("field-exam_items")).to_have_value("1")
    page.get_by_test_id("field-exam_items").fill("5")
    page.get_by_test_id("field-exam_pass_accuracy").fill("90")
    page.get_by_test_id("field-gold_rate_initial").fill("25")
    page.get_by_test_id("training-save").click()
    expect(page.get_by_test_id("training-saved")).to_have_text("Saved.")
    project.refresh_from_db()
    assert (project.exam_items, project.exam_pass_accuracy, project.gold_rate_initial) == (
        5,
        0.9,
        0.25,
    )

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("requalify").click()
    expect(page.get_by_test_id("requalify-result")).to_have_text(
        "Done: 1 annotator must qualify again."
    )
    page.get_by_test_id("training-settings").screenshot(path=f"{SHOTS}/7-settings.png")
    assert Membership.objects.get(project=project, user=annotator).qualified_at is None
    assert console_errors == []
