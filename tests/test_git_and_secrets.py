"""The first commit made by hooks/git_init.py, and where the project token may go."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml
from copier import run_copy

from helpers import ROOT, commit, git, package_json, project_files

TOKEN = "phc_TopSecretProjectToken1234567890"


def tracked_files(project):
    return [p for p in git(project, "ls-files", "-z").split("\0") if p]


def test_project_is_a_git_repo_with_a_clean_tree(render):
    project = render().project_dir
    assert (project / ".git").is_dir()
    assert git(project, "status", "--porcelain", "--ignored") == ""
    assert git(project, "rev-list", "--count", "HEAD").strip() == "1"
    tracked = tracked_files(project)
    assert ".copier-answers.yml" in tracked
    assert "package.json" in tracked
    # Everything generated is committed.
    on_disk = sorted(str(p.relative_to(project)) for p in project_files(project))
    assert sorted(tracked) == on_disk


def test_token_only_in_env(render):
    result = render(posthog_project_token=TOKEN)
    assert result.exit_code == 0, result.exception
    project = result.project_dir

    env = (project / ".env").read_text()
    assert f"POSTHOG_PROJECT_TOKEN={TOKEN}\n" in env
    # Only the key: the defaults stay in package.json, where `copier update --data` changes them.
    assert not re.search(r"^\s*(POSTHOG_HOST|PORT)\s*=", env, re.MULTILINE)

    answers = (project / ".copier-answers.yml").read_text()
    assert TOKEN not in answers
    assert "posthog_project_token" not in yaml.safe_load(answers)

    # .env is ignored and untracked; the tree is otherwise clean.
    assert ".env" not in tracked_files(project)
    assert git(project, "check-ignore", ".env").strip() == ".env"
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "status", "--porcelain", "--ignored").strip() == "!! .env"

    # No tracked file and no commit holds it; on disk, only .env does.
    assert TOKEN not in git(project, "log", "--all", "-p")
    holders = [p.name for p in project_files(project) if TOKEN in p.read_text()]
    assert holders == [".env"]


def test_token_with_custom_host_in_env(render):
    project = render(
        posthog_project_token=TOKEN, posthog_host="custom",
        posthog_custom_host="https://ph.example.com",
    ).project_dir
    # The host is the default in package.json; .env does not pin it.
    assert package_json(project)["config"]["posthogHost"] == "https://ph.example.com"
    assert (project / ".env").read_text().splitlines()[-1] == f"POSTHOG_PROJECT_TOKEN={TOKEN}"


def test_existing_env_is_kept(template, tmp_path):
    """Generating into a directory that already has a .env leaves it as it was."""
    dst = tmp_path / "app"
    dst.mkdir()
    (dst / ".env").write_text("POSTHOG_PROJECT_TOKEN=phc_mine\n")
    run_copy(str(template), dst, data={"posthog_project_token": TOKEN}, defaults=True,
             unsafe=True, vcs_ref="HEAD", quiet=True)
    assert (dst / ".env").read_text() == "POSTHOG_PROJECT_TOKEN=phc_mine\n"
    assert TOKEN not in git(dst, "log", "--all", "-p")


def test_env_is_never_committed_even_when_not_ignored(tmp_path):
    """The hook keeps .env out of the commit even if .gitignore lost it."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "index.js").write_text("console.log('hi');\n")
    (project / ".env").write_text(f"POSTHOG_PROJECT_TOKEN={TOKEN}\n")
    result = run_hook(project)
    assert ".env is not gitignored" in result.stderr
    assert tracked_files(project) == ["index.js"]
    assert TOKEN not in git(project, "log", "--all", "-p")


def run_hook(cwd, env=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "hooks" / "git_init.py")],
        cwd=cwd, env=env, capture_output=True, text=True, check=True,
    )


def test_hook_is_idempotent(render):
    project = render().project_dir
    head = git(project, "rev-parse", "HEAD")
    result = run_hook(project)
    assert "already inside the git repository" in result.stderr
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""


def test_generating_inside_an_existing_repo_leaves_it_alone(template, tmp_path):
    outer = tmp_path / "monorepo"
    outer.mkdir()
    git(outer, "init", "--quiet")
    (outer / "README.md").write_text("monorepo\n")
    git(outer, "add", "README.md")
    commit(outer, "monorepo")
    head = git(outer, "rev-parse", "HEAD")

    run_copy(str(template), outer / "services" / "api", defaults=True, unsafe=True,
             vcs_ref="HEAD", quiet=True)

    assert not (outer / "services" / "api" / ".git").exists()
    assert git(outer, "rev-parse", "HEAD") == head, "the hook committed into the outer repo"
    assert "services/" in git(outer, "status", "--porcelain")


@pytest.fixture
def no_git_identity(tmp_path):
    """Environment for a git with no user.name / user.email anywhere.

    Copier runs tasks with the environment it saw at import (plumbum's), so these
    tests run the copier CLI in a subprocess with this environment.
    """
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "EMAIL"}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def copier_cli(template, dst, env):
    return subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
         str(template), str(dst)],
        env=env, capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )


def test_first_commit_without_git_identity(no_git_identity, template, tmp_path):
    dst = tmp_path / "app"
    result = copier_cli(template, dst, no_git_identity)
    assert "no git identity configured" in result.stderr
    assert git(dst, "log", "-1", "--format=%an <%ae>").strip() == (
        "copier-posthog-node <copier-posthog-node@localhost>"
    )
    assert git(dst, "status", "--porcelain") == ""
    # The fallback is for that one commit only: nothing is written to any config.
    assert "user." not in git(dst, "config", "--local", "--list")


def test_first_commit_uses_the_configured_identity(no_git_identity, template, tmp_path):
    gitconfig = tmp_path / "home" / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n"
        "[init]\n\tdefaultBranch = trunk\n"
    )
    dst = tmp_path / "app"
    copier_cli(template, dst, no_git_identity)
    log = subprocess.run(["git", "log", "-1", "--format=%an <%ae>"], cwd=dst, env=no_git_identity,
                         capture_output=True, text=True, check=True).stdout
    assert log.strip() == "Ada Lovelace <ada@example.com>"
    assert git(dst, "branch", "--show-current").strip() == "trunk"


def test_default_branch_is_main_when_unconfigured(no_git_identity, template, tmp_path):
    dst = tmp_path / "app"
    copier_cli(template, dst, no_git_identity)
    assert git(dst, "branch", "--show-current").strip() == "main"
