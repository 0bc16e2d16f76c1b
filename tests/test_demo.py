"""`make demo`, the README's first command: generate, install and run the default
project next to the local PostHog stand-in, and see an event arrive."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from helpers import ROOT


def test_make_demo_runs_the_demo_script():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"(?m)^demo: venv\n\t\$\(VENV\)/bin/python tools/demo\.py$", makefile)
    readme = (ROOT / "README.md").read_text()
    quick_start = readme[readme.index("## Quick start"):readme.index("## Generating a project")]
    assert "make demo" in quick_start and "make test" in quick_start
    assert "OWNER" not in readme and "pipx run" not in quick_start.split("make test")[0]


@pytest.mark.slow
def test_demo_shows_an_event_arrive(npm_cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTHOG_", "PORT"))}
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "demo.py"), "--smoke"], cwd=ROOT,
        env={**env, "TEMPLATE_TEST_NPM_CACHE": str(npm_cache)},
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    # What the newcomer is told: where to look, and a command to try.
    assert re.search(r"Open http://localhost:\d+/ ", out), out[-4000:]
    assert "curl -s -X POST http://localhost:" in out
    # The event reached the local sink, which printed it.
    assert "[posthog] " in out and "user_signed_up" in out
    assert "smoke: the sink printed the signup event" in out
    assert "Stopped. " in out  # the sink was stopped, not killed
