"""Copier migration, last after every update: what the update did, and what is left to do.

An update that changed nothing says so in one line, rather than conflict
instructions that do not apply. Otherwise it says that nothing is committed yet,
names the files with conflicts (inline markers, or *.rej files), and gives the
commands that finish the update. This is the message after an update: Copier's
own `_message_after_update` is static text, and cannot see what happened.

    update_summary.py ANSWERS_FILE
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout


def main(answers_file: str) -> int:
    answers = yaml.safe_load(Path(answers_file).read_text()) if Path(answers_file).exists() else {}
    name = (answers or {}).get("project_name", "the project")
    version = str((answers or {}).get("_commit", "")).lstrip("v")
    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=all").splitlines()]
    if not changed:
        print(f'Nothing to update: "{name}" already has everything template {version} brings.', file=sys.stderr)
        return 0
    if changed == [answers_file]:
        print(f"Template {version} changes no file of \"{name}\"; {answers_file} records the new version: "
              "commit it.", file=sys.stderr)
        return 0

    conflicts = sorted(set(git("diff", "--name-only", "--diff-filter=U").split()))
    rejects = sorted(path for path in changed if path.endswith(".rej"))
    lines = [f'"{name}" is updated to template {version}; nothing is committed yet: review it with git diff.']
    if conflicts:
        lines += [
            f"These files have conflicts (git status: both modified): {', '.join(conflicts)}.",
            "In each, keep what you want between the <<<<<<< before updating (yours) and",
            ">>>>>>> after updating (the template's) markers, delete the markers, and git add it.",
        ]
    if rejects:
        lines += [f"Apply these by hand, then delete them: {', '.join(rejects)}."]
    lines += [
        "Then:",
        "",
        "  npm install",
        "  npm test",
        "",
        "and commit the result, package-lock.json included (git add -A && git commit).",
    ]
    print("\n".join(lines), file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except Exception as error:  # a summary must never fail the update
        print(f"(could not summarise the update: {error})", file=sys.stderr)
        sys.exit(0)
