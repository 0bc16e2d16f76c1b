"""Copier migration, before every update: a `language` switch must not lose edits.

`copier update --data language=typescript` (or back to `javascript`) replaces every
source of the old language with the new one's: `src/routes.js` goes and
`src/routes.ts` comes. Copier deletes the old file even when you changed it, so
your change would silently disappear from the working tree. This script stops
the update first, before anything in the project changes, and names the files
you changed, unless nothing would be lost.

It renders the version the project is on, with its recorded answers (as Copier
does to compute the update), and compares that with the project's own source
files of the old language. Files you added are never touched by a switch, and
files you deleted stay deleted; only changed template files stop it. Set
`LANGUAGE_SWITCH_ANYWAY=1` to switch anyway: after the update your changed files
are put back next to their new form, to be ported by hand.

Before the update Copier has not asked its questions yet, so only a switch given
with `--data language=...` (the documented way) is seen here. After the update,
whichever way the switch came, keep_changed_files.py puts back each changed file
that Copier deleted, next to its new form, to be ported by hand: nothing is lost.

    language_switch.py before NEW_LANGUAGE_FROM_DATA ANSWERS_FILE
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import yaml
# A sibling module: Python puts the running script's directory first on sys.path.
from keep_changed_files import render_old_version

EXTENSIONS = {"javascript": ".js", "typescript": ".ts"}
SOURCE_DIRS = ("src", "test", "scripts")
# Plain JavaScript in both languages: a switch keeps it.
BOTH_LANGUAGES = {"scripts/check-node.js"}
OVERRIDE = "LANGUAGE_SWITCH_ANYWAY"


def sources(root: Path, extension: str) -> dict[str, Path]:
    found = {}
    for top in SOURCE_DIRS:
        for path in (root / top).rglob(f"*{extension}"):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and "node_modules" not in path.parts and rel not in BOTH_LANGUAGES:
                found[rel] = path
    return found


def changed_template_files(answers: dict, old: str, project: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """(template files the user changed, the user's own files) among `project`."""
    with tempfile.TemporaryDirectory(prefix="language-switch-") as tmp:
        rendered = Path(tmp) / "project"
        render_old_version(answers, rendered)
        template_files = {rel: path.read_bytes() for rel, path in sources(rendered, old).items()}
    changed = sorted(rel for rel, text in project.items() if rel in template_files and text != template_files[rel])
    own = sorted(rel for rel in project if rel not in template_files)
    return changed, own


def before(new_language: str, answers_file: str) -> int:
    answers = yaml.safe_load(Path(answers_file).read_text()) or {}
    old_language = answers.get("language", "javascript")
    if old_language == new_language or new_language not in EXTENSIONS:
        return 0

    old, new = EXTENSIONS[old_language], EXTENSIONS[new_language]
    project = {rel: path.read_bytes() for rel, path in sources(Path.cwd(), old).items()}
    changed, own = changed_template_files(answers, old, project)

    if changed and os.environ.get(OVERRIDE) != "1":
        print(
            f"Stopped before switching language from {old_language} to {new_language}: nothing changed.\n"
            f"The switch replaces each template {old} file with its {new} form, and you changed these:\n"
            + "".join(f"  {rel}\n" for rel in changed)
            + f"Stay in {old_language} (update without --data language=...), or switch anyway; your\n"
            f"changed files are then kept next to their {new} form, for you to port by hand:\n"
            f"  {OVERRIDE}=1 copier update --trust --defaults --data language={new_language}",
            file=sys.stderr,
        )
        return 1
    if own:
        print(f"Your own {old} files stay as they are: {', '.join(own)}. Node runs .js and .ts side by "
              f"side{'; rename them to .ts when you like' if new == '.ts' else ''}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    stage, *args = sys.argv[1:]
    sys.exit(before(*args) if stage == "before" else 0)  # "after" is keep_changed_files.py's
