"""The questionnaire as a person at a terminal sees it, driven through a pseudo-terminal.

Copier's own tests drive its prompts with pexpect the same way. The driver walks the
questions of copier.yml in order, so a question added later is answered with its
default unless a test says otherwise.
"""

from __future__ import annotations

import io
import os
import re
import sys
from dataclasses import dataclass

import pexpect
import yaml

from helpers import ROOT, commit, git, package_json
from releases import copier

ENTER = "\r"
DOWN = "\x1b[B"
CLEAR = "\x15"  # ctrl-u: clears the line, so typing replaces the default

QUESTIONS = [
    (name, spec)
    for name, spec in yaml.safe_load((ROOT / "copier.yml").read_text()).items()
    if not name.startswith("_") and spec.get("when") is not False and spec.get("ask", True)  # computed, never asked
]


@dataclass(frozen=True)
class See:
    """A step that waits until the terminal shows `text`."""

    text: str


def prompt(spec) -> str:
    """How to recognise a question on screen: the start of its help text."""
    return re.escape(" ".join(spec["help"].split())[:30])


def run_copier(args, replies, *, cwd=None, skipped=(), columns=200):
    """Run `copier ARGS` in a terminal and answer every question it asks.

    `replies` maps a question to the keys to type (strings) and the things to wait
    for in between (`See`); a question without a reply gets Enter, its default.
    `skipped` names the questions that must not be asked at all. Returns the
    transcript and the exit status. `columns` is the terminal's width: prompt_toolkit
    cuts what does not fit, so only what a person would see can be waited for.
    """
    child = pexpect.spawn(
        sys.executable, ["-m", "copier", *args], cwd=cwd,
        env={**os.environ, "TERM": "xterm", "COLUMNS": str(columns), "LINES": "50"},
        encoding="utf-8", timeout=30, dimensions=(50, columns),
    )
    child.logfile_read = transcript = io.StringIO()
    try:
        for name, spec in QUESTIONS:
            if name in skipped:
                continue
            try:
                child.expect(prompt(spec))
            except (pexpect.TIMEOUT, pexpect.EOF) as error:
                raise AssertionError(
                    f"question {name!r} was not asked; the terminal showed:\n"
                    f"{transcript.getvalue()[-3000:]}"
                ) from error
            for step in replies.get(name, [ENTER]):
                if isinstance(step, See):
                    child.expect(re.escape(step.text))
                else:
                    child.send(step)
        child.expect(pexpect.EOF, timeout=120)
    finally:
        child.close()
    return transcript.getvalue(), child.exitstatus


def help_of(name) -> str:
    return " ".join(dict(QUESTIONS)[name]["help"].split())


def test_copy_picks_a_framework_and_fixes_a_bad_name(template, tmp_path):
    """Pick Fastify from the list, have a bad name refused with the reason, fix it,
    and take every other default."""
    dst = tmp_path / "shop"
    transcript, status = run_copier(
        ["copy", "--trust", "--vcs-ref", "HEAD", str(template), str(dst)],
        {
            "project_name": [CLEAR + "ShopAPI", See("Lowercase only"), See("use 'shopapi'"),
                             CLEAR + "shop-api" + ENTER],
            "framework": [See("Express 5"), See("Fastify 5"), See("Koa 3"), DOWN, ENTER],
        },
        skipped={"posthog_custom_host"},
    )
    assert status == 0, transcript[-3000:]
    assert "Your PostHog Fastify server \"shop-api\" is ready" in transcript

    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    assert answers["framework"] == "fastify"
    assert answers["project_name"] == "shop-api"
    assert answers["port"] == 3000
    assert answers["posthog_host"] == "https://us.i.posthog.com"
    pkg = package_json(dst)
    assert pkg["name"] == "shop-api"
    assert "fastify" in pkg["dependencies"] and "express" not in pkg["dependencies"]
    assert "from 'fastify'" in (dst / "src" / "app.js").read_text()
    assert not (dst / ".env").exists()  # no key typed: no .env
    assert git(dst, "status", "--porcelain") == ""
    assert git(dst, "rev-list", "--count", "HEAD").strip() == "1"


def test_copy_explains_each_bad_answer(template, tmp_path):
    """A bad answer is explained, then fixed: name, custom host, port; the key is hidden."""
    dst = tmp_path / "tui"
    transcript, status = run_copier(
        ["copy", "--trust", "--vcs-ref", "HEAD", str(template), str(dst)],
        {
            "project_name": [CLEAR + "My App", See("No spaces"),
                             CLEAR + "shop-api" + ENTER],
            "framework": [See("Koa 3"), ENTER],
            "posthog_host": [DOWN, DOWN, ENTER],  # custom
            "posthog_custom_host": ["http://ph.example.com", See("Use https://, not http://"),
                                    CLEAR + "https://ph.example.com" + ENTER],
            "posthog_project_token": ["phc_typedsecret" + ENTER],
            "port": [CLEAR + "70000", See("out of range"), CLEAR + "8080" + ENTER],
        },
    )
    assert status == 0, transcript[-3000:]
    # The secret prompt does not echo the key, and no message repeats it.
    assert "phc_typedsecret" not in transcript
    pkg = package_json(dst)
    assert pkg["name"] == "shop-api"
    # The relay's path is drawn, never asked.
    assert pkg["config"] == {"port": 8080, "posthogHost": "https://ph.example.com",
                             "posthogProxyPath": pkg["config"]["posthogProxyPath"]}
    assert re.fullmatch(r"/[a-z0-9]{8}", pkg["config"]["posthogProxyPath"])
    assert "POSTHOG_PROJECT_TOKEN=phc_typedsecret" in (dst / ".env").read_text()


def test_at_80_columns_the_visible_line_holds_the_fix(template, tmp_path):
    """The error shows on one line, cut at the terminal's width: at 80 columns the
    fix must be on it, and typing what it suggests must be accepted."""
    dst = tmp_path / "narrow"
    transcript, status = run_copier(
        ["copy", "--trust", "--vcs-ref", "HEAD", str(template), str(dst)],
        {
            "project_name": [CLEAR + "My App!-", See("use 'my-app'"), CLEAR + "my-app" + ENTER],
            "posthog_host": [DOWN, DOWN, ENTER],  # custom
            "posthog_custom_host": ["https://ph.example.com/ingest/?x=1",
                                    See("Drop the ?query/#fragment"),
                                    CLEAR + "https://ph.example.com/ingest/" + ENTER],
            "port": [CLEAR + "70000", See("use 3000"), CLEAR + "3000" + ENTER],
        },
        columns=80,
    )
    assert status == 0, transcript[-3000:]
    pkg = package_json(dst)
    assert pkg["name"] == "my-app"
    assert pkg["config"]["posthogHost"] == "https://ph.example.com/ingest"


def test_update_asks_again_but_never_for_the_key(template, tmp_path):
    """An interactive `copier update` offers the recorded answers as defaults, lets
    one be changed, and does not ask for the PostHog key: .env stays as it was."""
    dst = tmp_path / "app"
    copier("copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD",
           "--data", "posthog_project_token=phc_keepme", str(template), str(dst))
    env_before = (dst / ".env").read_bytes()
    readme = dst / "README.md"
    readme.write_text(readme.read_text() + "\nOur notes.\n")
    git(dst, "add", "README.md")
    commit(dst, "Our notes")

    transcript, status = run_copier(
        ["update", "--trust", "--vcs-ref", "HEAD"],
        {"port": [See("3000"), CLEAR + "8080" + ENTER]},
        cwd=dst, skipped={"posthog_custom_host", "posthog_project_token"},
    )
    assert status == 0, transcript[-3000:]
    assert help_of("posthog_project_token")[:30] not in transcript
    assert "phc_keepme" not in transcript
    assert (dst / ".env").read_bytes() == env_before
    assert package_json(dst)["config"]["port"] == 8080
    assert readme.read_text().endswith("\nOur notes.\n")


def test_at_80_columns_every_help_and_choice_shows_whole(template, tmp_path):
    """Each question's help line and each choice's label fit an 80-column terminal:
    the rest of the line after the part that recognises the question, and every
    label, must appear uncut."""
    replies = {}
    for name, spec in QUESTIONS:
        shown = " ".join(spec["help"].split())
        steps = [See(shown[30:])] if len(shown) > 30 else []
        steps += [See(label) for label in spec.get("choices") or {}]
        replies[name] = steps + [ENTER]
    replies["posthog_host"] = replies["posthog_host"][:-1] + [DOWN, DOWN, ENTER]  # custom, to see its question
    replies["posthog_custom_host"] = replies["posthog_custom_host"][:-1] + ["https://ph.example.com" + ENTER]
    transcript, status = run_copier(
        ["copy", "--trust", "--vcs-ref", "HEAD", str(template), str(tmp_path / "narrow")], replies, columns=80,
    )
    assert status == 0, transcript[-3000:]
