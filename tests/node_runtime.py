"""Node.js for the tests: generated projects support 22.22+, 24 and 26 only.

The machine's own Node may be older (CI images ship Node 20), so a supported line
is brought from the npm registry: the `node` package, as `npx -y node@24` does,
installed once into the shared npm cache. `supported_node_bin()` gives its bin
directory; conftest puts it first on PATH for the whole run, so every `node` and
`npm` the tests start (and the servers they spawn) runs on it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

# The line the suite runs on by default; test_full_cycle adds the others.
DEFAULT_LINE = "24"
SUPPORTED_LINES = ["22", "24", "26"]
MINIMUM = (22, 22)


def node_version(node: str = "node") -> tuple[int, ...] | None:
    if not shutil.which(node):
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.match(r"v(\d+)\.(\d+)\.(\d+)", out.strip())
    return tuple(int(part) for part in match.groups()) if match else None


def is_supported(version: tuple[int, ...] | None) -> bool:
    if version is None:
        return False
    major, minor = version[:2]
    return (major == 22 and minor >= 22) or major in (24, 26) or major > 26


@functools.cache
def node_bin(line: str, npm_cache: str) -> Path:
    """The bin directory of Node `line` from the npm registry (cached after the first call)."""
    env = {**os.environ, "npm_config_cache": npm_cache, "npm_config_update_notifier": "false"}
    result = subprocess.run(
        ["npm", "exec", "--yes", "--package", f"node@{line}", "--", "node", "-p", "process.execPath"],
        capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL, check=False,
    )
    if result.returncode:
        raise RuntimeError(f"could not bring Node {line} from the npm registry:\n{result.stderr[-3000:]}")
    # The package's bin/ holds only `node`; the machine's npm then runs on it too.
    return Path(result.stdout.strip().splitlines()[-1]).parent
