"""`make demo`: generate, install and run the default project next to the local
PostHog stand-in, see an event arrive, and lose none when Ctrl-C stops it."""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

from helpers import ROOT


def test_make_demo_needs_copier_only():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"(?m)^demo: \$\(DEMO_VENV\)/\.installed\n\t\$\(DEMO_VENV\)/bin/python tools/demo\.py$", makefile)
    demo_requirements = [line for line in (ROOT / "requirements-demo.txt").read_text().splitlines()
                         if line and not line.startswith("#")]
    assert [line.split("==")[0] for line in demo_requirements] == ["copier", "jinja2", "jinja2-ansible-filters"]
    assert "-r requirements-demo.txt" in (ROOT / "requirements-dev.txt").read_text()


def test_readme_puts_what_a_user_does_first():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme[readme.index("## Quick start"):readme.index("## Generating a project")]
    for step in ("copier copy --trust", "npm install", "npm start", "npm test"):
        assert step in quick_start, step
    assert "make demo" not in quick_start and "make test" not in quick_start
    assert readme.index("## Generating a project") < readme.index("make demo") < readme.index("## Developing the template")
    assert "OWNER" not in readme


@pytest.fixture
def demo_slot():
    """One demo at a time, across xdist workers: `make demo` rebuilds one project
    directory (.cache/demo/) and tries ports 3000 and 8010 first, so two at once
    would delete each other's project and race for the same ports."""
    lock = ROOT / ".cache" / "demo.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def demo_env(npm_cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTHOG_", "PORT"))}
    return {**env, "TEMPLATE_TEST_NPM_CACHE": str(npm_cache)}


@pytest.mark.slow
def test_demo_shows_an_event_arrive(npm_cache, demo_slot):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "demo.py"), "--smoke"], cwd=ROOT, env=demo_env(npm_cache),
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    # What the newcomer is told: where to look, a command to try, and when events show.
    assert re.search(r"Open http://localhost:\d+/ ", out), out[-4000:]
    assert "curl -s -X POST http://localhost:" in out
    assert "about 5 s after the request" in out
    # The event reached the local sink, which printed it.
    assert "[posthog] " in out and "user_signed_up" in out
    assert "smoke: the sink printed the signup event" in out
    # The page's way to PostHog: through the server's relay, answered by the sink.
    assert re.search(r"smoke: the relay at /\w+ answered 200 from the sink", out), out[-4000:]
    assert "Stopped. " in out  # the sink was stopped, not killed
    # Whole lines only: no line holds two processes' prefixes.
    assert not re.search(r"\[(posthog|server)\] .*\[(posthog|server)\] ", out), out[-4000:]


@pytest.mark.slow
def test_ctrl_c_delivers_every_event(npm_cache, demo_slot):
    """Ctrl-C right after a signup, before posthog-node's 5 s batch is due: the
    server's shutdown sends the events to the stand-in, which is stopped only then."""
    demo = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "demo.py")], cwd=ROOT, env=demo_env(npm_cache),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
    )
    output = []
    try:
        for line in demo.stdout:
            output.append(line)
            if (match := re.search(r"Open (http://localhost:\d+)/ ", line)):
                base = match[1]
            if "Ctrl-C stops the server" in line:
                break
        body = json.dumps({"email": "ada@example.com", "password": "correct horse"}).encode()
        request = urllib.request.Request(f"{base}/api/auth/signup", data=body, method="POST",
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        demo.send_signal(signal.SIGINT)
        output.extend(demo.stdout)
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    out = "".join(output)
    assert "not delivered" not in out, out[-4000:]
    events = re.findall(r"\[posthog\] .*?(\$identify|user_signed_up)", out)
    assert sorted(set(events)) == ["$identify", "user_signed_up"], out[-4000:]
    # The server stopped (flushing) before the stand-in did.
    # (The server's line is its logger's: "[server] [12:00:00.000] INFO: SIGINT received: ...".)
    stopping = re.search(r"^\[server\] .*SIGINT received", out, re.M)
    assert stopping and stopping.start() < out.rindex("[posthog] "), out[-4000:]
