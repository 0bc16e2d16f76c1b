"""Throwaway template repositories with tagged releases, and what users do to projects.

The working tree is the newest release, 0.2.0. Release 0.1.0 is rebuilt from it by
putting back, in a throwaway copy, the files as 0.1.0 had them (only the files that
0.2.0 changed for generated projects; the rest is the same). So `copier update`
from 0.1.0 to 0.2.0 in a test is the update users run, migration included,
whatever the state of the repository's own history or tags (CI only has commits).
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from copier import run_copy

from helpers import NOT_PROJECT_CONTENT, ROOT, commit, git, working_tree_files

OLD = "0.1.0"
NEW = "0.2.0"

ENV_FILE_TEMPLATE = "template/{% if posthog_project_token %}.env{% endif %}.jinja"

# What 0.2.0 changed in generated projects, as 0.1.0 had it.
RELEASE_0_1_0 = {
    "template/.env.example.jinja": """\
# Copy to .env (gitignored) and fill in. `npm start` reads .env when it exists.

# PostHog project API key (phc_...): Project settings -> Project API key.
# Leave empty to run with PostHog disabled. POSTHOG_API_KEY is read as a fallback.
POSTHOG_PROJECT_TOKEN=
POSTHOG_HOST={{ posthog_custom_host if posthog_host == 'custom' else posthog_host }}
# POSTHOG_DEBUG=true

PORT={{ port }}
# HOST=0.0.0.0
# NODE_ENV=production
""",
    ENV_FILE_TEMPLATE: """\
# Local settings with your PostHog project API key. Git ignores this file: never commit it.
# Written once when the project was generated; edit it freely (copier update leaves it alone).
POSTHOG_PROJECT_TOKEN={{ posthog_project_token }}
POSTHOG_HOST={{ posthog_custom_host if posthog_host == 'custom' else posthog_host }}
""",
}

# The generated README's last section, as 0.1.0 had it.
README_UPDATES_0_1_0 = """\
## Template updates

This project was generated with [Copier](https://copier.readthedocs.io) from the
copier-posthog-node template; `.copier-answers.yml` records the template version and
your answers (never your PostHog key). To pull in later template improvements,
commit your work, then:

```sh
copier update --trust
```

Copier applies the template's changes on top of yours. Where both changed the same
lines it leaves conflict markers (`<<<<<<<`) in the file: resolve them, run
`npm install && npm test`, and commit. To change an answer on the way, for example
the port: `copier update --trust --data port=8080`. `--trust` lets the template run its
tasks; `.env` is never touched by an update.
"""


def copy_working_tree(dest: Path) -> None:
    for rel in working_tree_files(ROOT):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)


def as_released_in_0_1_0(repo: Path) -> None:
    """Put back, in a throwaway copy of the template, what 0.2.0 changed."""
    for rel, text in RELEASE_0_1_0.items():
        (repo / rel).write_text(text)
    # 0.1.0 had no `frontend` question and no page: the question is never asked (so
    # not recorded in the answers file) and off.
    config = repo / "copier.yml"
    text = config.read_text()
    question = re.search(r"(?ms)^frontend:\n.*?(?=^\S)", text)
    assert question and "  default: true\n" in question[0], "copier.yml: frontend changed shape"
    config.write_text(text.replace(
        question[0], question[0].replace("  default: true\n", "  default: false\n  when: false\n")))
    readme = repo / "template" / "README.md.jinja"
    text = readme.read_text()
    start = text.index("## Template updates\n")
    readme.write_text(text[:start] + README_UPDATES_0_1_0)


def release(repo: Path, version: str, change=None) -> None:
    """Commit what `change(repo)` does as a release with an annotated PEP 440 tag."""
    if change:
        change(repo)
    git(repo, "add", "--all")
    if git(repo, "status", "--porcelain"):
        commit(repo, f"Release {version}")
    git(repo, "-c", "user.name=Template Tests", "-c", "user.email=tests@example.invalid",
        "tag", "-a", f"v{version}", "-m", f"Release {version}")


def build_releases(dest: Path) -> Path:
    """A template repository with v0.1.0 and then v0.2.0 (the working tree)."""
    dest.mkdir(parents=True)
    git(dest, "-c", "init.defaultBranch=main", "init", "--quiet")
    copy_working_tree(dest)
    release(dest, OLD, as_released_in_0_1_0)
    git(dest, "rm", "-r", "--quiet", ".")
    copy_working_tree(dest)
    release(dest, NEW)
    return dest


def clone(repo: Path, dest: Path) -> Path:
    """A clone with every tag, to add releases to without touching `repo`."""
    git(dest.parent, "clone", "--quiet", str(repo), str(dest))
    return dest


def copier(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """The copier command line, without a terminal (as in CI)."""
    result = subprocess.run(
        [sys.executable, "-m", "copier", *args], cwd=cwd, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )
    if check and result.returncode:
        raise AssertionError(f"copier {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}{result.stderr}")
    return result


def generate(repo: Path, dest: Path, version: str, **answers) -> Path:
    """`copier copy --trust --defaults` of one release, as a user runs it."""
    data = [arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")]
    copier("copy", "--trust", "--defaults", "--quiet", "--vcs-ref", f"v{version}", *data,
           str(repo), str(dest))
    return dest


def render(repo: Path, dest: Path, version: str, **answers) -> Path:
    """A fresh project of one release, without the git task: what to compare with."""
    run_copy(str(repo), dest, data=answers, vcs_ref=f"v{version}", defaults=True,
             unsafe=True, skip_tasks=True, quiet=True)
    return dest


def update(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`copier update --trust --defaults` in the project, as the README says."""
    return copier("update", "--trust", "--defaults", *args, cwd=project, check=check)


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "--all")
    commit(project, message)


def content_files(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in root.rglob("*")
        if p.is_file() and not NOT_PROJECT_CONTENT.intersection(p.relative_to(root).parts)
    }


def differences(project: Path, expected: Path, ignore: set[str] = frozenset()) -> list[str]:
    """Files that differ between two project trees (outside .git), for a readable assert."""
    got, want = content_files(project), content_files(expected)
    out = [f"missing: {rel}" for rel in sorted(want.keys() - got.keys() - ignore)]
    out += [f"unexpected: {rel}" for rel in sorted(got.keys() - want.keys() - ignore)]
    out += [
        f"differs: {rel}"
        for rel in sorted(want.keys() & got.keys() - ignore)
        if not filecmp.cmp(got[rel], want[rel], shallow=False)
    ]
    return out


def conflict_markers(project: Path) -> list[str]:
    """Lines that look like merge conflict markers, as `path:line: text`."""
    found = []
    for rel, path in content_files(project).items():
        try:
            lines = path.read_text().splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, 1):
            if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "=======":
                found.append(f"{rel}:{number}: {line}")
    return found


def unmerged(project: Path) -> list[str]:
    return git(project, "diff", "--name-only", "--diff-filter=U").split()
