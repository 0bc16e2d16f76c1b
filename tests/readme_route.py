"""The generated README's *Adding a route* example, applied as a user would.

The section shows a new route module and the lines that register it in
src/app. `add_the_readme_route` writes the first and puts the second where it
says ("next to the other routers"): imports after the app's imports, every other
line after the line of the block that the app already has. `feedback_event`
then uses the route on a running server and returns the event it sent.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

from helpers import Server

SECTION = "## Adding a route"
CODE_BLOCK = re.compile(r"```(?:js|ts)\n(.*?)```", re.S)


def readme_example(project: Path) -> tuple[str, str, str]:
    """(the new module's path, its code, the registration lines) as the README gives them."""
    readme = (project / "README.md").read_text()
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    path = re.search(r"Create\s+`(src/[^`]+)`", section)
    blocks = CODE_BLOCK.findall(section)
    assert path and len(blocks) == 2, f"the README's {SECTION!r} section lost its example:\n{section}"
    return path[1], blocks[0], blocks[1]


def add_the_readme_route(project: Path) -> str:
    """Applies the README's example; returns the new module's path."""
    rel, module, registration = readme_example(project)
    (project / rel).write_text(module)
    app = next(p for p in (project / "src").glob("app.*") if p.suffix in (".js", ".ts"))
    lines = app.read_text().split("\n")
    last_import = max(i for i, line in enumerate(lines) if line.startswith("import "))
    anchor = None
    for line in registration.strip().split("\n"):
        if line.startswith("import "):
            lines.insert(last_import + 1, line)
            last_import += 1
            continue
        matches = [i for i, existing in enumerate(lines) if existing.strip() == line.strip()]
        if matches:
            anchor = matches[0]
            continue
        assert anchor is not None, f"no line of the README's registration is in {app.name}: {registration}"
        indent = lines[anchor][: len(lines[anchor]) - len(lines[anchor].lstrip())]
        lines.insert(anchor + 1, indent + line.strip())
        anchor += 1
    app.write_text("\n".join(lines))
    return rel


def post(url: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, dict | None]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def sink_events(lines: list[str]) -> list[dict]:
    """The events a `capture-sink --json` printed, one JSON object per line."""
    return [json.loads(line) for line in lines if line.startswith("{")]


def feedback_event(project: Path, env: dict, tmp_path: Path) -> tuple[dict, dict]:
    """Signs up, sends feedback through the README's route with posthog-js's
    tracing headers, stops the server (which flushes PostHog) and returns
    (the signup answer, the feedback_sent event that reached the sink)."""


    events_file = tmp_path / "readme-route-events.jsonl"
    with events_file.open("w") as out:
        sink = Server(project, env, "posthog:inspect", ("--port", "0", "--json"), stdout=out)
    try:
        server = Server(project, {**env, "POSTHOG_HOST": sink.url(), "POSTHOG_PROJECT_TOKEN": "phc_readme_route",
                                  "DATABASE_URL": str(tmp_path / "readme-route.db")})
        try:
            base = server.url()
            status, account = post(f"{base}/api/auth/signup",
                                   {"email": "reader@example.com", "password": "correct horse"})
            assert status == 201, account
            tracing = {"x-posthog-distinct-id": "anon-reader", "x-posthog-session-id": "session-reader"}
            assert post(f"{base}/api/feedback", {"message": "Nice!"}, tracing) == (401, {
                "error": "Missing or invalid bearer token"})
            status, body = post(f"{base}/api/feedback", {"message": "Nice!"},
                                {**tracing, "authorization": f"Bearer {account['token']}"})
            assert (status, body) == (204, None)
            assert server.stop() == 0, "".join(server.output)
        finally:
            server.stop()
    finally:
        sink.stop()
    events = [event for event in sink_events(events_file.read_text().splitlines())
              if event["event"] == "feedback_sent"]
    assert len(events) == 1, events
    return account, events[0]
