"""Copier migration, after every update: a file you changed is never deleted silently.

When the new version no longer has a file of the template (a release moved its
code elsewhere, a `language` switch replaced `src/config.js` by `src/config.ts`,
a changed answer left it out), Copier deletes it from the project, even when you
changed it: your change would be gone from the working tree without a word. This
script runs after every update, in the project, and puts back from HEAD each
file the update deleted that you had changed, as you committed it, and says on
stderr where the code went and what to do: port your change by hand, then delete
the old file.

"Changed" means: the committed file differs from what the version the project
was on renders with the project's recorded answers (rendered again here, as
Copier does to compute the update). Template files you did not change stay
deleted, files you deleted before the update stay deleted (they are not in HEAD),
and your own files are never touched (Copier does not delete them). Running it
again finds nothing deleted; it never fails the update.

    keep_changed_files.py ANSWERS_FILE

The previous answers come from the answers file as last committed (an update
starts from a clean, committed project).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

EXTENSIONS = {"javascript": ".js", "typescript": ".ts"}
CHANGELOG = 'the "Updating" section of CHANGELOG.md'


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, check=False)


def committed(rel: str) -> bytes | None:
    """A file as last committed; `./` keeps the path relative to the project, also
    when the project is a directory inside a larger repository."""
    result = git("show", f"HEAD:./{rel}")
    return result.stdout if result.returncode == 0 else None


def deleted_files() -> list[str]:
    """Committed files (of this directory) that are gone from the working tree."""
    listed = git("ls-tree", "-r", "-z", "--name-only", "HEAD").stdout.decode()
    return sorted(rel for rel in listed.split("\0") if rel and not os.path.lexists(rel))


def render_old_version(answers: dict, destination: Path) -> None:
    """The version the project was on, with its recorded answers, as Copier renders it."""
    from copier import run_copy

    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    run_copy(
        answers["_src_path"], destination, data=data, vcs_ref=answers["_commit"],
        defaults=True, overwrite=True, unsafe=True, quiet=True, skip_tasks=True,
    )


def changed_by_user(answers: dict, candidates: list[str]) -> list[str]:
    """The candidates whose committed content is not what the old version renders."""
    with tempfile.TemporaryDirectory(prefix="keep-changed-files-") as tmp:
        rendered = Path(tmp) / "project"
        render_old_version(answers, rendered)
        return [
            rel for rel in candidates
            if (rendered / rel).is_file() and not (rendered / rel).is_symlink()
            and committed(rel) != (rendered / rel).read_bytes()
        ]


def version(answers: dict) -> str:
    return str(answers.get("_commit", "")).removeprefix("v")


def report(kept: list[str], old_answers: dict, new_answers: dict) -> str:
    old_language = old_answers.get("language", "javascript")
    new_language = new_answers.get("language", "javascript")
    old_ext, new_ext = EXTENSIONS.get(old_language), EXTENSIONS.get(new_language)
    switched = [
        rel for rel in kept
        if old_language != new_language and old_ext and new_ext and rel.endswith(old_ext)
        and Path(rel[: -len(old_ext)] + new_ext).exists()
    ]
    others = [rel for rel in kept if rel not in switched]
    messages = []
    if switched:
        messages.append(
            "Kept your changed files of the old language next to their new form, so nothing is lost: "
            + ", ".join(switched) + ". Port the changes into the new files, then delete these."
        )
    if others:
        listing = "".join(f"  {rel}\n" for rel in others)
        old, new = version(old_answers), version(new_answers)
        if old != new:
            src = new_answers.get("_src_path", old_answers.get("_src_path"))
            messages.append(
                f"This update deleted {len(others)} file(s) you had changed: template {new} moved "
                f"their code to other files or dropped it. They are back, as you committed them, "
                f"and the template no longer uses them:\n{listing}"
                f"Where their code lives now: {CHANGELOG} for each version after {old} up to {new}, "
                f"in the template ({src}). Port your changes there by hand, then delete these files."
            )
        else:
            messages.append(
                f"The answers you changed leave out {len(others)} file(s) you had changed. They are "
                f"back, as you committed them, and the template no longer uses them:\n{listing}"
                f"Move what you need by hand, then delete these files."
            )
    return "\n".join(messages)


def keep_changed_files(answers_file: str) -> int:
    old_answers = yaml.safe_load(committed(answers_file) or b"") or {}
    if not isinstance(old_answers, dict) or not {"_commit", "_src_path"} <= old_answers.keys():
        return 0
    deleted = deleted_files()
    if not deleted:
        return 0
    new_answers = yaml.safe_load(Path(answers_file).read_text()) or {}
    try:
        kept = changed_by_user(old_answers, deleted)
    except Exception as error:  # noqa: BLE001 - whatever it is, say so and lose nothing
        print(
            f"Could not render template {version(old_answers)} to tell which deleted files you had "
            f"changed ({error}). This update deleted:\n" + "".join(f"  {rel}\n" for rel in deleted)
            + "Put back any you had changed with: git checkout HEAD -- FILE",
            file=sys.stderr,
        )
        return 0
    if not kept:
        return 0
    if git("checkout", "HEAD", "--", *kept).returncode:
        print("This update deleted files you had changed; put them back with: git checkout HEAD -- "
              + " ".join(kept), file=sys.stderr)
        return 0
    print(report(kept, old_answers, new_answers), file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(keep_changed_files(sys.argv[1] if len(sys.argv) > 1 else ".copier-answers.yml"))
    except Exception as error:  # noqa: BLE001 - a migration never fails the update
        print(f"keep_changed_files.py: {error}", file=sys.stderr)
        sys.exit(0)
