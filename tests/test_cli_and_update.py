"""The copier command line as users run it, and `copier update` from day one."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pexpect
import pytest
import yaml
from copier import run_update

from helpers import commit, git, package_json

COPIER = [sys.executable, "-m", "copier"]


def copier_cli(*args, cwd=None, check=True):
    return subprocess.run(
        [*COPIER, *args], cwd=cwd, capture_output=True, text=True, check=check,
        stdin=subprocess.DEVNULL,
    )


def test_cli_defaults_and_message_after_copy(template, tmp_path):
    dst = tmp_path / "my-app"
    result = copier_cli("copy", "--trust", "--defaults", "--vcs-ref", "HEAD", str(template), str(dst))
    out = result.stdout + result.stderr
    for step in (f"cd {dst}", "npm install", "cp .env.example .env", "npm start",
                 "npm test", "npm run posthog:check", "npm run posthog:inspect",
                 "copier update --trust"):
        assert step in out, f"{step!r} missing from the message after copy:\n{out}"
    assert package_json(dst)["name"] == "posthog-node-app"


def test_cli_message_does_not_ask_for_a_token_already_given(template, tmp_path):
    dst = tmp_path / "my-app"
    result = copier_cli("copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
                        "--data", "posthog_project_token=phc_given", str(template), str(dst))
    out = result.stdout + result.stderr
    assert "cp .env.example .env" not in out
    assert "Your project API key is in .env" in out
    assert "phc_given" not in out


def test_cli_without_trust_refuses_the_task(template, tmp_path):
    result = copier_cli("copy", "--defaults", "--vcs-ref", "HEAD", str(template),
                        str(tmp_path / "x"), check=False)
    assert result.returncode != 0
    assert "unsafe feature: tasks" in result.stderr
    assert "--trust" in result.stderr
    assert not (tmp_path / "x").exists()


def test_cli_non_tty_without_defaults_fails_clearly(template, tmp_path):
    result = copier_cli("copy", "--trust", "--vcs-ref", "HEAD", str(template),
                        str(tmp_path / "x"), check=False)
    assert result.returncode != 0
    assert "Interactive session required" in result.stdout + result.stderr


def test_cli_data_for_every_question(template, tmp_path):
    dst = tmp_path / "api"
    copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
        "--data", "project_name=shop-api",
        "--data", "description=Shop backend",
        "--data", "posthog_host=custom",
        "--data", "posthog_custom_host=https://ph.example.com",
        "--data", "posthog_project_token=phc_fromdata",
        "--data", "port=8080",
        str(template), str(dst),
    )
    pkg = package_json(dst)
    assert pkg["name"] == "shop-api"
    assert pkg["description"] == "Shop backend"
    assert pkg["config"] == {"port": 8080, "posthogHost": "https://ph.example.com"}
    assert "POSTHOG_PROJECT_TOKEN=phc_fromdata" in (dst / ".env").read_text()


def test_interactive_questionnaire(template, tmp_path):
    """A person at a terminal: a bad answer is explained, then fixed."""
    dst = tmp_path / "tui"
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "200", "LINES": "50"}
    child = pexpect.spawn(
        sys.executable, ["-m", "copier", "copy", "--trust", "--vcs-ref", "HEAD",
                         str(template), str(dst)],
        env=env, encoding="utf-8", timeout=30, dimensions=(50, 200),
    )
    child.logfile_read = transcript = io.StringIO()
    try:
        child.expect("npm package name")
        child.send("\x15My App")  # ctrl-u clears the default first
        child.expect("contains spaces")
        child.send("\x15shop-api\r")
        child.expect("One sentence")
        child.send("\r")
        child.expect("Web framework")
        child.expect("Koa 3")
        child.send("\r")
        child.expect("Where your PostHog project lives")
        child.send("\x1b[B\x1b[B\r")  # down twice: custom
        child.expect("URL of your PostHog instance")
        child.send("http://ph.example.com")
        child.expect("plain http://")
        child.send("\x15https://ph.example.com\r")
        child.expect("PostHog project API key")
        child.send("phc_typedsecret\r")
        child.expect("Port the server listens on")
        child.send("\x15" + "70000")
        child.expect("out of range")
        child.send("\x15" + "8080\r")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close()
    assert child.exitstatus == 0, transcript.getvalue()[-3000:]
    # The secret prompt does not echo the key, and no message repeats it.
    assert "phc_typedsecret" not in transcript.getvalue()
    pkg = package_json(dst)
    assert pkg["name"] == "shop-api"
    assert pkg["config"] == {"port": 8080, "posthogHost": "https://ph.example.com"}
    assert "POSTHOG_PROJECT_TOKEN=phc_typedsecret" in (dst / ".env").read_text()


@pytest.fixture
def versioned_template(template, tmp_path):
    """A clone of the template snapshot tagged v1.0.0, ready for a v1.1.0."""
    repo = tmp_path / "tpl"
    git(tmp_path, "clone", "--quiet", str(template), str(repo))
    git(repo, "tag", "v1.0.0")
    return repo


def release(repo, tag, change):
    change(repo)
    git(repo, "add", "--all")
    commit(repo, f"Release {tag}")
    git(repo, "tag", tag)


def test_update_from_day_one(copie, versioned_template, tmp_path):
    result = copie.copy(
        extra_answers={"posthog_project_token": "phc_keepme", "port": 4000},
        template_dir=versioned_template, vcs_ref="v1.0.0",
    )
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    # A change of the user's own, committed, that the update must keep.
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur own notes.\n")
    git(project, "commit", "--quiet", "-am", "Our notes")

    def change(repo):
        env_example = repo / "template" / ".env.example.jinja"
        env_example.write_text(env_example.read_text() + "# Added in v1.1.0\n")

    release(versioned_template, "v1.1.0", change)

    updated = copie.update(result, vcs_ref="v1.1.0")
    assert updated.exit_code == 0, updated.exception

    assert (project / ".env.example").read_text().endswith("# Added in v1.1.0\n")
    assert readme.read_text().endswith("\nOur own notes.\n")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.1.0"
    assert answers["port"] == 4000
    assert "posthog_project_token" not in answers
    # .env is the user's: untouched by the update, still ignored.
    assert "POSTHOG_PROJECT_TOKEN=phc_keepme" in (project / ".env").read_text()
    # The git task ran on copy only: no commit was added, the update awaits review.
    assert git(project, "rev-list", "--count", "HEAD").strip() == "2"
    changed = git(project, "status", "--porcelain").split("\n")
    assert " M .env.example" in changed
    assert " M .copier-answers.yml" in changed


def test_update_with_a_new_answer(copie, versioned_template):
    result = copie.copy(template_dir=versioned_template, vcs_ref="v1.0.0")
    project = result.project_dir
    updated = run_update(
        str(project), data={"port": 5050}, defaults=True, unsafe=True, overwrite=True,
        vcs_ref="v1.0.0", quiet=True,
    )
    assert updated.answers.combined["port"] == 5050
    assert package_json(project)["config"]["port"] == 5050


def test_update_conflict_is_marked_inline(copie, versioned_template):
    result = copie.copy(template_dir=versioned_template, vcs_ref="v1.0.0")
    project = result.project_dir
    nvmrc = project / ".nvmrc"
    nvmrc.write_text("18.20\n")
    git(project, "commit", "--quiet", "-am", "Pin our own Node")

    release(versioned_template, "v1.1.0",
            lambda repo: (repo / "template" / ".nvmrc").write_text("lts/jod\n"))
    updated = copie.update(result, vcs_ref="v1.1.0")
    assert updated.exit_code == 0, updated.exception
    text = nvmrc.read_text()
    assert "<<<<<<<" in text and ">>>>>>>" in text
    assert "18.20" in text and "lts/jod" in text
