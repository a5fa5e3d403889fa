"""`loupe login`, `loupe versions`, `loupe diff` and their errors, against the live server."""

import io
import json
import os
import stat

import pytest

from tests.annotate.factories import box
from tests.client.conftest import Dataset, Wire, main
from tests.projects.factories import PASSWORD, user_create
from tests.versioning.factories import document_accepted, version_made
from versioning.services import version_tag_set

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_stores_the_token_readable_by_its_owner_only(dataset, config_dir, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))

    code = main(["login", dataset.url + "/", "--username", "rita_reviewer", "--password-stdin"])

    assert code == 0
    path = config_dir / "credentials.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "default": dataset.url,
        "servers": {dataset.url: {"token": dataset.token, "username": "rita_reviewer"}},
    }


def test_a_wrong_password_is_refused_and_stores_nothing(dataset, config_dir, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("not-the-password\n"))

    code = main(["login", dataset.url, "-u", "rita_reviewer", "--password-stdin"])

    assert code == 3
    assert "refused the credentials (Wrong username or password.)" in capsys.readouterr().err
    assert not (config_dir / "credentials.json").exists()


def test_a_bad_token_is_a_clear_error_with_a_non_zero_exit(dataset, config_dir, capsys):
    assert main(["login", dataset.url, "--token", "0" * 40]) == 3
    assert not (config_dir / "credentials.json").exists()
    capsys.readouterr()
    # A token revoked after login: every command says what to do.
    assert main(["login", dataset.url, "--token", dataset.token]) == 0
    credentials = json.loads((config_dir / "credentials.json").read_text())
    credentials["servers"][dataset.url]["token"] = "f" * 40
    (config_dir / "credentials.json").write_text(json.dumps(credentials))

    code = main(["versions", str(dataset.project.pk)])

    assert code == 3
    err = capsys.readouterr().err
    assert err == (
        f"loupe: {dataset.url} refused the credentials (Invalid token.). "
        f"Run `loupe login {dataset.url}` again.\n"
    )


def test_commands_before_login_say_how_to_log_in(dataset, capsys):
    assert main(["versions", "1"]) == 3
    assert capsys.readouterr().err == "loupe: Not logged in: run `loupe login URL` first.\n"


def test_versions_lists_ids_counts_tags_and_messages(logged_in, capsys):
    version_tag_set(
        project=logged_in.project, user=logged_in.manager, name="v1.0", version_id=logged_in.version
    )
    capsys.readouterr()

    assert main(["versions", str(logged_in.project.pk)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "VERSION",
        "CREATED",
        "ITEMS",
        "SHAPES",
        "AUTHOR",
        "TAGS",
        "MESSAGE",
    ]
    assert len(lines) == 2
    fields = lines[1].split()
    assert fields[0] == logged_in.version[:12]
    assert fields[3:] == ["4", "4", "alice_manager", "v1.0", "first", "cut"]


def test_versions_of_a_project_the_caller_cannot_see_is_not_found(logged_in, capsys):
    assert main(["versions", "99999"]) == 4
    assert capsys.readouterr().err.startswith("loupe: Not found: ")


def relabelled(dataset: Dataset) -> str:
    """A second version where the car of `car_train` moved and a person was added."""
    from annotate.models import AnnotationDocument

    item = dataset.items["car_train"]
    # (1, 2, 30, 40) -> (1, 2, 30, 20): IoU = 29*18 / (29*38) = 0.474
    old = AnnotationDocument.objects.get(item=item)
    shapes = [{**old.shapes[0], "points": [1, 2, 30, 20]}, box("person", (40, 10, 60, 30))]
    carl = user_create("carl_annotator")
    dataset.project.memberships.create(user=carl, role="annotator")
    document_accepted(item, carl, dataset.reviewer, shapes)
    return version_made(dataset.project, dataset.manager, message="moved a car").pk


def test_diff_names_the_relabelled_item_with_its_iou(logged_in, capsys):
    newer = relabelled(logged_in)
    version_tag_set(project=logged_in.project, user=logged_in.manager, name="v2", version_id=newer)
    item = logged_in.items["car_train"].pk
    capsys.readouterr()

    code = main(["diff", logged_in.version[:10], "v2", "--project", str(logged_in.project.pk)])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{logged_in.version[:12]} -> {newer[:12]}: 0 items added, 0 removed, 1 changed",
        "CLASS   ADDED  REMOVED  CLASS-FROM  CLASS-TO  GEOMETRY  ATTRIBUTES",
        "car     0      0        0           0         1         0",
        "person  1      0        0           0         0         0",
        f"item {item}: changed: changed box car (geometry, IoU 0.474); added box person",
    ]


def test_diff_as_json_by_full_ids_without_a_project(logged_in, capsys):
    newer = relabelled(logged_in)
    capsys.readouterr()

    assert main(["diff", logged_in.version, newer, "--json"]) == 0

    diff = json.loads(capsys.readouterr().out)
    assert (diff["from"], diff["to"]) == (logged_in.version, newer)
    assert diff["totals"] == {"items_added": 0, "items_removed": 0, "items_changed": 1}
    assert [row["item"] for row in diff["rows"]] == [logged_in.items["car_train"].pk]


def test_a_short_id_needs_the_project(logged_in, capsys):
    assert main(["diff", logged_in.version[:8], logged_in.version]) == 1
    assert "name the project (--project)" in capsys.readouterr().err


def test_the_client_sends_the_token_only_to_its_server(logged_in):
    wire = Wire()
    assert main(["versions", str(logged_in.project.pk)], transport=wire) == 0
    assert wire.paths == [
        f"GET /api/v1/projects/{logged_in.project.pk}/",
        f"GET /api/v1/projects/{logged_in.project.pk}/versions/",
    ]
