"""The demo install: two accounts with per-install passwords and a project of synthetic scenes.

The demo annotator goes through the whole course before real work: the guidelines, a few
training items whose answer is the generator's exact ground truth, then a short qualification
exam on hidden gold (DEMO_EXAM_ITEMS items); hidden gold stays mixed into their real work."""

import io
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.db import transaction

from projects.models import Item, ItemRole, Project, Role
from projects.services import items_upload, member_set, project_create, project_update
from quality.services import gold_set
from sources import synthetic

DEMO_PROJECT = "Demo: shapes"
ACCOUNTS = {"manager": Role.MANAGER, "annotator": Role.ANNOTATOR}
MANAGER_PERMISSIONS = ["add_project", "add_user", "change_user", "view_user"]
DEMO_EXAM_ITEMS = 3
# Training scenes come from their own seeds, apart from the real work's.
TRAINING_SEED = 1000


@dataclass
class DemoInstall:
    project: Project
    passwords: dict[str, str]
    created_items: int


def accounts_file() -> Path:
    return Path(settings.DATA_DIR) / "demo_accounts.json"


def _read_passwords() -> dict[str, str]:
    try:
        passwords: dict[str, str] = json.loads(accounts_file().read_text())
        return passwords
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_passwords(passwords: dict[str, str]) -> None:
    path = accounts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(passwords, handle, indent=2)


def demo_accounts() -> dict[str, str]:
    """Create the demo users once; a re-run keeps them and their passwords."""
    known = _read_passwords()
    passwords: dict[str, str] = {}
    user_model = get_user_model()
    for username in ACCOUNTS:
        user, created = user_model.objects.get_or_create(username=username)
        if created or username not in known or not user.check_password(known[username]):
            known[username] = secrets.token_urlsafe(12)
            user.set_password(known[username])
            user.save()
        passwords[username] = known[username]
    manager = user_model.objects.get(username="manager")
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    manager.user_permissions.add(*Permission.objects.filter(codename__in=MANAGER_PERMISSIONS))
    _write_passwords(passwords)
    return passwords


def demo_install(
    *, count: int = 24, gold_every: int = 4, training: int = 3, seed: int = 0
) -> DemoInstall:
    passwords = demo_accounts()
    user_model = get_user_model()
    manager = user_model.objects.get(username="manager")
    project = Project.objects.filter(name=DEMO_PROJECT).order_by("id").first()
    if project is None:
        project = project_create(
            creator=manager,
            name=DEMO_PROJECT,
            labels=synthetic.label_schema(),
            description="Synthetic scenes with known ground truth.",
            guidelines=DEMO_GUIDELINES,
        )
        project_update(project=project, exam_items=DEMO_EXAM_ITEMS)
    for username, role in ACCOUNTS.items():
        member_set(project=project, username=username, role=role)
    created = _fill(project=project, manager=manager, count=count, gold_every=gold_every, seed=seed)
    created += _training_fill(project=project, manager=manager, count=training)
    return DemoInstall(project=project, passwords=passwords, created_items=created)


def _fill(*, project: Project, manager: User, count: int, gold_every: int, seed: int) -> int:
    created = 0
    for index, scene in enumerate(synthetic.generate_scenes(count=count, seed=seed)):
        if project.items.filter(metadata__synthetic_seed=scene.seed).exists():
            continue  # an earlier run placed it already (scenes are deterministic)
        gold = bool(gold_every) and index % gold_every == gold_every - 1
        role = ItemRole.GOLD if gold else ItemRole.TASK
        _scene_item(project=project, manager=manager, scene=scene, role=role, gold=gold)
        created += 1
    return created


def _scene_item(
    *, project: Project, manager: User, scene: synthetic.Scene, role: str, gold: bool
) -> Item:
    name = f"scene-{scene.seed:04d}.png"
    files = [(name, io.BytesIO(synthetic.scene_to_png_bytes(scene)))]
    with transaction.atomic():
        (item,) = items_upload(project=project, files=files, role=role)
        # Every scene's exact ground truth can be regenerated from its seed; only gold and
        # training items carry it as a gold answer, so the rest is real work for the queue.
        Item.objects.filter(pk=item.pk).update(metadata={"synthetic_seed": scene.seed})
        if gold:
            gold_set(
                item=item,
                shapes=synthetic.scene_shapes(scene, kind="box", id_namespace=f"p{project.pk}"),
                author=manager,
                source="synthetic",
            )
    return item


def _training_fill(*, project: Project, manager: User, count: int) -> int:
    """The training course: `count` scenes whose answer is shown after each submit."""
    created = 0
    for scene in synthetic.generate_scenes(count=count, seed=TRAINING_SEED):
        if project.items.filter(metadata__synthetic_seed=scene.seed).exists():
            continue
        _scene_item(
            project=project, manager=manager, scene=scene, role=ItemRole.TRAINING, gold=True
        )
        created += 1
    return created


DEMO_GUIDELINES = """\
# Demo guidelines

Draw a **tight box** around every circle, square, triangle and star, and pick its class.

- Include the whole object, even where another object covers part of it; tick *occluded* then.
- Tag the scene **day** when its background is bright, **night** when it is dark.

You start with a short training: after each training scene you see your boxes over the right
answer. Then a qualification exam of three scenes, scored without feedback, opens real work.

Keyboard: `R` box tool, `V` select, `1`–`9` pick a class, `Delete` removes the selected box,
`Ctrl+Z` / `Ctrl+Shift+Z` undo/redo, `Ctrl+Enter` submits and moves to the next item.
"""
