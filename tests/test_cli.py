"""The copier command line as users run it, without a terminal (as in scripts and CI).

The prompts are in test_interactive.py; `copier update` is in test_update.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from helpers import ROOT, git, package_json, snapshot_template

GIT_IDENTITY_ENV = {
    "GIT_AUTHOR_NAME": "Template Tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Template Tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}

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
        "--data", "posthog_proxy_path=/relay-r7",
        str(template), str(dst),
    )
    pkg = package_json(dst)
    assert pkg["name"] == "shop-api"
    assert pkg["description"] == "Shop backend"
    assert pkg["config"] == {"port": 8080, "posthogHost": "https://ph.example.com", "posthogProxyPath": "/relay-r7"}
    assert "POSTHOG_PROJECT_TOKEN=phc_fromdata" in (dst / ".env").read_text()


def _commands_after_copy(output: str) -> list[str]:
    """The commands the message after copy lists, without their comments."""
    block = output[output.index("Next steps:"):].split("\n\n")[1]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_first_steps_then_update(template, tmp_path):
    """Generate, `npm install` (its lockfile), the commit the message says, later
    `copier update`: the update must not stop at an untracked package-lock.json."""
    dst = tmp_path / "my-app"
    result = copier_cli("copy", "--trust", "--defaults", "--vcs-ref", "HEAD", str(template), str(dst))
    steps = _commands_after_copy(result.stdout + result.stderr)
    assert steps[:2] == [f"cd {dst}", "npm install"], steps
    commit_step = steps[2]
    assert "package-lock.json" in commit_step and "git commit" in commit_step
    # The project's README says the same, right after npm install.
    readme = (dst / "README.md").read_text()
    assert f"npm install\n{commit_step}\n" in readme

    # What `npm install` leaves: a lockfile (and node_modules, which git ignores).
    (dst / "package-lock.json").write_text(json.dumps(
        {"name": "posthog-node-app", "version": "0.1.0", "lockfileVersion": 3,
         "requires": True, "packages": {}}, indent=2) + "\n")
    (dst / "node_modules" / "express").mkdir(parents=True)
    assert "?? package-lock.json" in git(dst, "status", "--porcelain")
    subprocess.run(["bash", "-c", commit_step], cwd=dst, check=True, capture_output=True,
                   env={**os.environ, **GIT_IDENTITY_ENV})
    assert git(dst, "status", "--porcelain") == ""

    update = copier_cli("update", "--trust", "--defaults", "--vcs-ref", "HEAD", cwd=dst, check=False)
    assert update.returncode == 0, update.stdout + update.stderr
    assert "dirty" not in update.stderr
    assert git(dst, "ls-files", "package-lock.json").strip() == "package-lock.json"


def test_the_readmes_local_copy_command_records_an_absolute_path(tmp_path):
    """The README's own command, run in a clone, gives a project that `copier
    check-update` and `copier update` can use (`.` would record a relative path)."""
    readme = (ROOT / "README.md").read_text()
    [command] = re.findall(r"(?m)^copier copy --trust --defaults --vcs-ref HEAD .*$", readme)
    clone = snapshot_template(tmp_path / "clone" / "copier-posthog-node", tag="v9.9.9")
    dst = tmp_path / "my-app"
    shell = command.replace("/tmp/my-app", shlex.quote(str(dst))).replace(
        "copier ", f"{shlex.quote(sys.executable)} -m copier ", 1)
    subprocess.run(["bash", "-c", shell], cwd=clone, check=True, capture_output=True,
                   stdin=subprocess.DEVNULL)
    src = yaml.safe_load((dst / ".copier-answers.yml").read_text())["_src_path"]
    assert Path(src).is_absolute() and Path(src) == clone, src
    check = copier_cli("check-update", cwd=dst, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Traceback" not in check.stderr
