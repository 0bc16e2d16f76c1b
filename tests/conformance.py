"""The conformance suite (tests/conformance/*.test.ts) against a generated project.

Hostile input and the table of odd requests are the template's own checks that
every framework keeps the contract alike; they do not ship in generated projects.
The `conformance` fixture runs them against one installed project: the project's
own capture sink (`npm run posthog:inspect -- --port 0 --json`, each event one
JSON line in a file) and its server (`npm start`'s command, on a free port,
sending to that sink), then `node --test` on Node 24, whatever the project's own
Node line and language, with the server's URL, the project token and the events
file in the environment. Then the server must exit 0 on SIGTERM, having flushed
PostHog, and the complete event log must hold no `$exception` (the suite never
causes a 5xx) and no event sent with another token.

Registered from conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT, Server
from node_runtime import node_bin

SUITE = ROOT / "tests" / "conformance"
SUITE_NODE_LINE = "24"
SUITE_TIMEOUT = 180


def _passed(stdout: str) -> bool:
    summary = dict(re.findall(r"^[#ℹ] (pass|fail) (\d+)$", stdout, re.M))
    return int(summary.get("pass", 0)) > 0 and summary.get("fail") == "0"


@pytest.fixture
def conformance(tmp_path: Path, npm_cache: Path):
    """`conformance(project, env, database_url=None)` runs the suite against the
    installed `project`, its sink and server started with `env` (and PATH's Node).
    Without `database_url` the server gets a new SQLite file. Returns the
    suite's output."""
    started: list[Server] = []
    node = node_bin(SUITE_NODE_LINE, str(npm_cache)) / "node"

    def run(project: Path, env: dict, database_url: str | None = None) -> str:
        events_file = tmp_path / "events.jsonl"
        with events_file.open("w") as events_out:
            sink = Server(project, env, "posthog:inspect", ("--port", "0", "--json"), stdout=events_out)
        started.append(sink)
        sink_url = sink.url()

        token = f"phc_conformance_{secrets.token_hex(12)}"
        server = Server(project, {
            **env,
            "POSTHOG_HOST": sink_url,
            "POSTHOG_PROJECT_TOKEN": token,
            "DATABASE_URL": database_url or str(tmp_path / "conformance.db"),
        })
        started.append(server)
        server_url = server.url()

        suite = subprocess.run(
            [str(node), "--test", *sorted(p.name for p in SUITE.glob("*.test.ts"))],
            cwd=SUITE, capture_output=True, text=True, timeout=SUITE_TIMEOUT, stdin=subprocess.DEVNULL,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith(("NODE_", "CONFORMANCE_"))},
                "CONFORMANCE_URL": server_url,
                "CONFORMANCE_TOKEN": token,
                "CONFORMANCE_EVENTS": str(events_file),
            },
        )
        code = server.stop()
        log = "".join(server.output)[-6000:]
        assert suite.returncode == 0 and _passed(suite.stdout), (
            f"the conformance suite failed against {project.name}:\n{suite.stdout[-12000:]}\n"
            f"{suite.stderr[-3000:]}\n--- server ---\n{log}"
        )
        assert code == 0, f"the server exited {code} on SIGTERM:\n{log}"

        # The server has flushed PostHog before exiting: the log is complete.
        events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
        assert events, "no event reached the sink"
        exceptions = [event for event in events if event["event"] == "$exception"]
        assert not exceptions, f"{len(exceptions)} $exception events although no request got a 5xx:\n" + "\n".join(
            json.dumps(event["properties"].get("$exception_list"))[:300] for event in exceptions[:5]
        )
        assert {event.get("api_key") for event in events} == {token}
        assert sink.stop() == 0, "".join(sink.output)
        return suite.stdout

    yield run
    for process in reversed(started):
        process.stop()
