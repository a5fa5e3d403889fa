"""The `loupe` command. Exit codes: 0 done, 1 error, 2 usage, 3 not logged in or refused
credentials, 4 not found, 5 integrity (a hash or the lock does not match), 6 network (run the
same command again to resume), 130 interrupted."""

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from loupe_client.api import Api
from loupe_client.config import Credentials, credentials_load, credentials_save, normalize_url
from loupe_client.errors import LoupeError
from loupe_client.labels import FORMATS
from loupe_client.pull import LOCK_NAME, SPLITS, Filters, lock_read, pull


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="loupe", description="Pull Loupe dataset versions.")
    root.add_argument("--server", help="server URL (default: LOUPE_URL or the last login)")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    login = commands.add_parser("login", help="get a token and store it")
    login.add_argument("url")
    login.add_argument("--username", "-u")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    login.add_argument("--token", help="store this existing token instead of logging in")

    versions = commands.add_parser("versions", help="list a project's versions")
    versions.add_argument("project", help="project id or exact name")
    versions.add_argument("--json", action="store_true", help="print the API's JSON")

    diff = commands.add_parser("diff", help="what changed from version A to version B")
    diff.add_argument("a", help="the older version: id, short id or tag (with --project)")
    diff.add_argument("b", help="the newer version")
    diff.add_argument("--project", help="resolve tags and short ids in this project")
    diff.add_argument("--json", action="store_true", help="print rows, summary and totals as JSON")

    pull_command = commands.add_parser(
        "pull",
        help="download a version: images by content hash, labels, loupe.lock",
        usage="loupe pull PROJECT DIR --version ID|TAG --format FORMAT [options]\n"
        "       loupe pull --locked DIR",
    )
    pull_command.add_argument("paths", nargs="+", metavar="PROJECT DIR")
    pull_command.add_argument("--version", help="version id, short id or tag")
    pull_command.add_argument("--format", choices=FORMATS, help="label format")
    pull_command.add_argument(
        "--split", action="append", default=[], choices=SPLITS, help="keep only this split"
    )
    pull_command.add_argument(
        "--class",
        dest="classes",
        action="append",
        default=[],
        metavar="CLASS",
        help="keep only items with this class, and only its shapes (repeatable)",
    )
    pull_command.add_argument(
        "--locked", action="store_true", help="reproduce DIR/loupe.lock exactly"
    )
    pull_command.add_argument("--jobs", "-j", type=int, default=8, help="parallel downloads")
    pull_command.add_argument("--retries", type=int, default=2, help="retries per file")
    pull_command.add_argument("--no-progress", action="store_true", help="no progress bars")
    return root


def main(argv: Sequence[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    command_line = parser()
    # `loupe pull PROJECT --version V --format F DIR` puts options between the positionals,
    # which argparse leaves over as unknown: they are the rest of PROJECT DIR.
    arguments, rest = command_line.parse_known_args(argv)
    if rest and (arguments.command != "pull" or any(word.startswith("-") for word in rest)):
        command_line.error(f"unrecognized arguments: {' '.join(rest)}")
    if rest:
        arguments.paths += rest
    try:
        handler = {"login": _login, "versions": _versions, "diff": _diff, "pull": _pull}
        return handler[arguments.command](arguments, transport)
    except LoupeError as error:
        print(f"loupe: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("loupe: interrupted; run the same command again to resume.", file=sys.stderr)
        return 130


def _api(
    arguments: argparse.Namespace, transport: httpx.BaseTransport | None, url: str | None = None
) -> Api:
    credentials = credentials_load(url or arguments.server)
    return Api(credentials.url, credentials.token, transport=transport)


def _login(arguments: argparse.Namespace, transport: httpx.BaseTransport | None) -> int:
    url = normalize_url(arguments.url)
    token = arguments.token
    username = arguments.username or ""
    if not token:
        username = username or input("Username: ").strip()
        if arguments.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
        with Api(url, transport=transport) as api:
            token = api.token(username, password)
    with Api(url, token, transport=transport) as api:
        api.get_json("/api/v1/projects/", page_size=1)  # the token works before it is stored
    path = credentials_save(Credentials(url=url, token=token, username=username))
    print(f"Logged in to {url}{f' as {username}' if username else ''}; token stored in {path}.")
    return 0


def _versions(arguments: argparse.Namespace, transport: httpx.BaseTransport | None) -> int:
    with _api(arguments, transport) as api:
        project = api.project(arguments.project)
        versions = api.versions(project["id"])
    if arguments.json:
        print(json.dumps(versions, indent=2, sort_keys=True))
        return 0
    if not versions:
        print(f"Project {project['id']} ({project.get('name', '')}) has no versions yet.")
        return 0
    rows = [("VERSION", "CREATED", "ITEMS", "SHAPES", "AUTHOR", "TAGS", "MESSAGE")]
    for version in versions:
        stats = version.get("stats") or {}
        rows.append(
            (
                version["id"][:12],
                str(version.get("created_at", ""))[:16].replace("T", " "),
                str(stats.get("items", "")),
                str(stats.get("shapes", "")),
                version.get("author") or "",
                ",".join(version.get("tags") or []),
                (version.get("message") or "").splitlines()[0] if version.get("message") else "",
            )
        )
    _table(rows)
    return 0


def _diff(arguments: argparse.Namespace, transport: httpx.BaseTransport | None) -> int:
    with _api(arguments, transport) as api:
        project_id = api.project(arguments.project)["id"] if arguments.project else None
        old = api.resolve_version(project_id, arguments.a)
        new = api.resolve_version(project_id, arguments.b)
        diff = api.diff(new["id"], old["id"])
    if arguments.json:
        print(json.dumps({"from": old["id"], "to": new["id"], **diff}, indent=2, sort_keys=True))
        return 0
    totals = diff["totals"]
    print(
        f"{old['id'][:12]} -> {new['id'][:12]}: {totals.get('items_added', 0)} items added, "
        f"{totals.get('items_removed', 0)} removed, {totals.get('items_changed', 0)} changed"
    )
    if diff["summary"]:
        rows = [("CLASS", "ADDED", "REMOVED", "CLASS-FROM", "CLASS-TO", "GEOMETRY", "ATTRIBUTES")]
        for name, counts in diff["summary"].items():
            fields = (
                "added",
                "removed",
                "class_changed_from",
                "class_changed_to",
                "geometry_changed",
                "attributes_changed",
            )
            rows.append((name, *(str(counts.get(key, 0)) for key in fields)))
        _table(rows)
    for row in diff["rows"]:
        print(f"item {row['item']}: {row['change']}{_row_detail(row)}")
    return 0


def _row_detail(row: dict[str, Any]) -> str:
    before, after = row.get("before") or {}, row.get("after") or {}
    details = []
    if before and after and before.get("asset_sha256") != after.get("asset_sha256"):
        details.append("image replaced")
    if before and after and before.get("split") != after.get("split"):
        details.append(f"split {before.get('split') or '-'} -> {after.get('split') or '-'}")
    for shape in row.get("shapes") or []:
        text = f"{shape['change']} {shape.get('kind', '')} {shape.get('label', '')}".strip()
        if "class" in shape:
            text += f" (class {shape['class']['from']} -> {shape['class']['to']})"
        if "geometry" in shape:
            iou = shape["geometry"].get("iou")
            text += " (geometry" + (f", IoU {iou:.3f})" if iou is not None else ")")
        if "attributes" in shape:
            text += " (attributes)"
        details.append(text)
    return (": " + "; ".join(details)) if details else ""


def _pull(arguments: argparse.Namespace, transport: httpx.BaseTransport | None) -> int:
    paths = list(arguments.paths)
    locked = None
    if arguments.locked:
        if len(paths) > 2:
            raise LoupeError("With --locked, name only the directory holding loupe.lock.")
        directory = Path(paths[-1])
        locked = lock_read(directory / LOCK_NAME)
        _check_locked_arguments(arguments, locked, paths)
        project, version, format_name = str(locked["project"]), locked["version"], locked["format"]
        filters = Filters(
            splits=tuple(locked["filters"].get("splits", [])),
            classes=tuple(locked["filters"].get("classes", [])),
        )
        api = _api(arguments, transport, url=arguments.server or locked["server"])
    else:
        if len(paths) != 2 or not arguments.version or not arguments.format:
            raise LoupeError(
                "Usage: loupe pull PROJECT DIR --version ID|TAG --format "
                f"{'|'.join(FORMATS)} (or loupe pull --locked DIR)."
            )
        project, directory = paths[0], Path(paths[1])
        version, format_name = arguments.version, arguments.format
        filters = Filters(splits=tuple(arguments.split), classes=tuple(arguments.classes))
        api = _api(arguments, transport)
    with api:
        result = pull(
            api,
            project=project,
            version=version,
            format_name=format_name,
            directory=directory,
            filters=filters,
            jobs=arguments.jobs,
            retries=arguments.retries,
            progress=False if arguments.no_progress else None,
            locked=locked,
            say=lambda message: print(message, file=sys.stderr),
        )
    kept = result.images - result.downloaded
    print(
        f"Version {result.version[:12]}: {result.images} images ({result.downloaded} downloaded, "
        f"{kept} already present"
        + (f", {result.refused} corrupted refused" if result.refused else "")
        + (f", {result.removed} stale removed" if result.removed else "")
        + f"); labels as {format_name}; "
        + ("lock verified" if locked is not None else f"lock written to {directory / LOCK_NAME}")
        + "."
    )
    return 0


def _check_locked_arguments(
    arguments: argparse.Namespace, locked: dict[str, Any], paths: list[str]
) -> None:
    conflicts = []
    if len(paths) == 2 and paths[0] != str(locked["project"]):
        conflicts.append(f"project {paths[0]} (lock: {locked['project']})")
    if arguments.version and not locked["version"].startswith(arguments.version):
        conflicts.append(f"--version {arguments.version} (lock: {locked['version'][:12]})")
    if arguments.format and arguments.format != locked["format"]:
        conflicts.append(f"--format {arguments.format} (lock: {locked['format']})")
    if arguments.split or arguments.classes:
        conflicts.append("--split/--class (the lock pins its own filters)")
    if conflicts:
        raise LoupeError(
            "--locked reproduces the lock; these disagree with it: " + ", ".join(conflicts)
        )


def _table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


if __name__ == "__main__":
    sys.exit(main())
