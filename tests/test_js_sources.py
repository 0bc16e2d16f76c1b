"""The JavaScript sources in template/ are produced from the TypeScript ones.

Each module of a generated project is written once, in TypeScript;
`make js` (tools/ts-to-js.mjs) writes its JavaScript form next to it. This test
fails when a committed .js file is not what the tool makes of its .ts source.
"""

from __future__ import annotations

import subprocess

import pytest

from helpers import ROOT

TOOLS = ROOT / "tools"


@pytest.fixture(scope="module")
def tools(npm_cache):
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--cache", str(npm_cache)],
        cwd=TOOLS, check=True, capture_output=True, timeout=300,
    )
    return TOOLS


def test_javascript_sources_match_their_typescript(tools):
    result = subprocess.run(
        ["node", "--disable-warning=ExperimentalWarning", "ts-to-js.mjs", "--check"],
        cwd=tools, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "up to date" in result.stdout

