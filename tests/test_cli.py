"""The copier command line as users run it, without a terminal (as in scripts and CI).

The prompts are in test_interactive.py; `copier update` is in test_update.py.
"""

from __future__ import annotations

import subprocess
import sys

from helpers import package_json

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
