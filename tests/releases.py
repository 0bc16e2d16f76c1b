"""Throwaway template repositories with the real releases, and what users do to projects.

The releases are the repository's own annotated tags (v0.1.0, v0.2.0, ...: every
version CHANGELOG.md lists with a date). A throwaway git repository gets each of
them, extracted with `git archive`, as a commit with the same tag, and then the
working tree as it is on disk (committed or not) as the next version. So
`copier update` from a release to the next version in a test is exactly the update
users will run, migrations included.

A clone of main can arrive without its tags (a submitted branch, a single-branch
checkout). Each release is then found through the commit that
tests/release-commits.txt records for its tag, which must be in this clone's history.
A clone that has neither (a shallow one) cannot do this: the tests then fail and say
how to fetch the history; they never pass without the real releases.
"""

from __future__ import annotations

import filecmp
import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

from copier import run_copy

from helpers import NOT_PROJECT_CONTENT, ROOT, commit, git, working_tree_files

CHANGELOG = ROOT / "CHANGELOG.md"
RELEASE_HEADING = re.compile(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d{2}-\d{2})\)\s*$", re.M)


def released_versions() -> list[str]:
    """Versions CHANGELOG.md lists as released (`## X.Y.Z (YYYY-MM-DD)`), oldest first."""
    versions = RELEASE_HEADING.findall(CHANGELOG.read_text())
    return sorted((v for v, _date in versions), key=lambda v: tuple(map(int, v.split("."))))


RELEASED = released_versions()
OLD = "0.1.0"  # before the 0.2.0 migration and the `frontend` question
IN_MEMORY = "0.2.0"  # the last release with the in-memory store, JavaScript only, Node 20 allowed
PREVIOUS = RELEASED[-1]  # the newest release
_major, _minor, _patch = map(int, PREVIOUS.split("."))
NEXT = f"{_major}.{_minor + 1}.0"  # the working tree, as if released next

ENV_FILE_TEMPLATE = "template/{% if posthog_project_token %}.env{% endif %}.jinja"

RELEASE_COMMITS = ROOT / "tests" / "release-commits.txt"
FETCH_TAGS = ("git fetch --tags origin (or, in a shallow clone, "
              "git fetch --unshallow --tags origin)")


def recorded_commits() -> dict[str, str]:
    """tests/release-commits.txt: each release tag and the commit it points at."""
    lines = RELEASE_COMMITS.read_text().splitlines()
    return dict(line.split() for line in lines if line.strip() and not line.startswith("#"))


def _commit_of(ref: str) -> str | None:
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                           cwd=ROOT, capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def tag_commit(version: str) -> str | None:
    """The commit tag vX.Y.Z points at, when this clone has the tag."""
    return _commit_of(f"refs/tags/v{version}")


def release_commit(version: str) -> str | None:
    """The release's commit: its tag's, or else the recorded one if this clone has it."""
    if found := tag_commit(version):
        return found
    recorded = recorded_commits().get(f"v{version}")
    return _commit_of(recorded) if recorded else None


def missing_releases(versions=RELEASED) -> list[str]:
    """The releases this clone can find neither as a tag nor as a recorded commit."""
    return [f"v{v}" for v in versions if release_commit(v) is None]


def require_releases(versions=RELEASED) -> None:
    missing = missing_releases(versions)
    if missing:
        raise AssertionError(
            f"release(s) {', '.join(missing)} missing from {ROOT}: neither the tag nor the "
            f"commit {RELEASE_COMMITS.name} records for it is in this clone, and the update "
            f"tests generate projects from the real releases. Fetch them: {FETCH_TAGS}."
        )


def extract_release(version: str, dest: Path) -> None:
    """The files of a release, as `git archive` gives them."""
    archive = subprocess.run(["git", "archive", "--format=tar", release_commit(version)],
                             cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


def copy_working_tree(dest: Path) -> None:
    for rel in working_tree_files(ROOT):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / rel).read_bytes())
        target.chmod((ROOT / rel).stat().st_mode)


def replace_contents(repo: Path, fill) -> None:
    """Make the repository's files what `fill(repo)` writes, and nothing else."""
    if git(repo, "ls-files"):
        git(repo, "rm", "-r", "--quiet", ".")
    fill(repo)


def release(repo: Path, version: str, change=None) -> None:
    """Commit what `change(repo)` does as a release with an annotated PEP 440 tag."""
    if change:
        change(repo)
    git(repo, "add", "--all")
    # A commit of its own even when nothing changed (the working tree right after a
    # release is that release): two tags on one commit make Copier's version of it
    # whichever `git describe` picks.
    commit(repo, f"Release {version}", "--allow-empty")
    git(repo, "-c", "user.name=Template Tests", "-c", "user.email=tests@example.invalid",
        "tag", "-a", f"v{version}", "-m", f"Release {version}")


def build_releases(dest: Path) -> Path:
    """A template repository with every real release, tagged, then the working tree as NEXT."""
    require_releases()
    dest.mkdir(parents=True)
    git(dest, "-c", "init.defaultBranch=main", "init", "--quiet")
    for version in RELEASED:
        replace_contents(dest, lambda repo, v=version: extract_release(v, repo))
        release(dest, version)
    replace_contents(dest, copy_working_tree)
    release(dest, NEXT)
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
