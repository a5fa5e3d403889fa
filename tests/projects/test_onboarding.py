"""Managers bring annotators in: accounts with a generated password, one-time invite links."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from projects.models import Invite, Membership

pytestmark = pytest.mark.django_db


def test_a_manager_creates_an_annotator_account_whose_password_is_shown_once(project, manager, api):
    response = api(manager).post(
        f"/api/v1/projects/{project.pk}/accounts/", {"username": "newcomer"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["username"], body["role"]) == ("newcomer", "annotator")
    user = authenticate(username="newcomer", password=body["password"])
    assert user is not None and user.pk == body["user_id"]
    assert Membership.objects.get(project=project, user=user).role == "annotator"
    assert body["password"] not in user.password  # only its hash is stored


@pytest.mark.parametrize(
    ("username", "field"),
    [("bob_annotator", "username"), ("BOB_ANNOTATOR", "username"), ("no spaces", "username")],
)
def test_a_taken_or_malformed_username_is_refused(project, manager, api, username, field):
    response = api(manager).post(
        f"/api/v1/projects/{project.pk}/accounts/", {"username": username}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["errors"]


def invite(project, manager, api, days=7) -> str:
    response = api(manager).post(
        f"/api/v1/projects/{project.pk}/invites/", {"days": days}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["url"]


def test_an_invite_link_joins_one_person_as_annotator_once(project, manager, api):
    url = invite(project, manager, api)
    path = url.removeprefix("http://testserver")
    browser, second = Client(), Client()

    page = browser.get(path)
    joined = browser.post(
        path,
        {
            "username": "ivy",
            "password": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    again = second.get(path)
    reused = second.post(
        path,
        {
            "username": "mallory",
            "password": "another passphrase 7",
            "password2": "another passphrase 7",
        },
    )

    assert page.status_code == 200 and b"Join" in page.content
    assert joined.status_code == 302 and joined["Location"] == f"/projects/{project.pk}/"
    assert Membership.objects.get(project=project, user__username="ivy").role == "annotator"
    assert browser.get(f"/projects/{project.pk}/").status_code == 200  # logged in
    assert again.status_code == 404 and reused.status_code == 404
    assert not Membership.objects.filter(user__username="mallory").exists()


def test_an_expired_invite_and_a_bad_form_join_nobody(project, manager, api):
    path = invite(project, manager, api).removeprefix("http://testserver")
    browser = Client()

    mismatch = browser.post(
        path, {"username": "ivy", "password": "x1y2z3w4v5", "password2": "other"}
    )
    weak = browser.post(path, {"username": "ivy", "password": "123", "password2": "123"})
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = browser.post(
        path,
        {
            "username": "ivy",
            "password": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )

    assert mismatch.status_code == 400 and b"differ" in mismatch.content
    assert weak.status_code == 400 and b"invite-error" in weak.content
    assert expired.status_code == 404
    assert not Membership.objects.filter(user__username="ivy").exists()
    assert Invite.objects.get().used_at is None


def test_an_invite_lasts_one_to_ninety_days(project, manager, api):
    response = api(manager).post(
        f"/api/v1/projects/{project.pk}/invites/", {"days": 365}, format="json"
    )

    assert response.status_code == 400 and "days" in response.json()["errors"]
