"""Copier migration to 0.2.0: `.env` no longer pins the generated defaults.

Up to 0.1.0, `.env.example` had active `POSTHOG_HOST=...` and `PORT=...` lines, and
the `.env` written for a key given at generation repeated `POSTHOG_HOST`. A
project's `.env` usually started as a copy of one of them, so it pins both. Since
0.2.0 the defaults live only in package.json "config" (the project's answers), and
a value in `.env` wins over them: a pinned line silently undoes a change made with
`copier update --data port=...` or `--data posthog_host=...`.

`.env` is the user's (it holds the project's key), so this migration never changes
it: it reads it and says, line by line, what to do. Read-only, so running it again
is harmless; no `.env` means nothing to say; it never fails the update.

Copier runs it once, after updating a project from before 0.2.0 to 0.2.0 or later
(`_migrations` in copier.yml), in the project's directory, with the new answers:

    v0_2_0_env_defaults.py PORT POSTHOG_HOST ANSWERS_FILE

The previous answers come from the answers file as last committed (an update
starts from a clean, committed project).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ENV_FILE = Path(".env")
# `KEY=value` or `export KEY=value`, as Node's --env-file reads them.
ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$"
)
SETTINGS = ("PORT", "POSTHOG_HOST")
CLOUD_HOSTS = ("https://us.i.posthog.com", "https://eu.i.posthog.com")


def value_of(raw: str) -> str:
    """The value without quotes or a trailing ` # comment`."""
    if raw[:1] in "\"'`":
        end = raw.find(raw[0], 1)
        if end > 0:
            return raw[1:end]
    return raw.split(" #", 1)[0].strip()


def pinned(text: str) -> dict[str, str]:
    """The SETTINGS that `.env` assigns (the last assignment wins)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = ASSIGNMENT.match(line)
        if match and match["key"] in SETTINGS:
            found[match["key"]] = value_of(match["value"])
    return found


def previous_defaults(answers_file: str) -> dict[str, str]:
    """PORT and POSTHOG_HOST as the answers file had them before this update."""
    try:
        text = subprocess.run(
            ["git", "show", f"HEAD:./{answers_file}"],
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    answers: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^(port|posthog_host|posthog_custom_host):\s*['\"]?(.*?)['\"]?\s*$", line)
        if match:
            answers[match[1]] = match[2]
    result = {}
    if "port" in answers:
        result["PORT"] = answers["port"]
    host = answers.get("posthog_host")
    if host == "custom":
        host = answers.get("posthog_custom_host")
    if host:
        result["POSTHOG_HOST"] = host
    return result


def as_answers(key: str, value: str) -> str:
    """The `--data` options that make `value` the project's default."""
    if key == "PORT":
        return f"--data port={value}"
    if value in CLOUD_HOSTS:
        return f"--data posthog_host={value}"
    return f"--data posthog_host=custom --data posthog_custom_host={value}"


def advice(key: str, value: str, default: str, previous: str | None) -> str:
    if not value:
        return f"  {key}= is empty, so the default ({default}) applies: you can delete the line."
    if value == default:
        return (
            f"  {key}={value} repeats the default: delete the line, or a later\n"
            f"    `copier update --data` for it will have no effect here."
        )
    if value == previous:
        return (
            f"  {key}={value} is the previous default, copied from .env.example. It now\n"
            f"    overrides the new default ({default}): delete the line."
        )
    return (
        f"  {key}={value} overrides the project's default ({default}) on this machine.\n"
        f"    Keep it if that is what you want; to make it the default for everyone,\n"
        f"    delete the line and run `copier update --trust --defaults {as_answers(key, value)}`."
    )


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {Path(__file__).name} PORT POSTHOG_HOST ANSWERS_FILE", file=sys.stderr)
        return 0
    defaults = dict(zip(SETTINGS, argv[:2]))
    if not ENV_FILE.is_file():
        return 0
    found = pinned(ENV_FILE.read_text(encoding="utf-8", errors="replace"))
    if not found:
        return 0
    previous = previous_defaults(argv[2])
    lines = [
        "",
        "Template 0.2.0 keeps the project's defaults only in package.json \"config\";",
        "a value in .env wins over them. Your .env (left as it is) sets:",
    ]
    lines += [
        advice(key, found[key], defaults[key], previous.get(key))
        for key in SETTINGS
        if key in found
    ]
    print("\n".join(lines) + "\n", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as error:  # noqa: BLE001 - a migration must never break an update
        print(f"migration 0.2.0: skipped ({error}).", file=sys.stderr)
        sys.exit(0)
