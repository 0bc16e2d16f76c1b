"""The full cycle a user goes through: generate, `npm install`, `npm test`, `npm start`.

Slow (it installs from the npm registry), and part of the default run. One npm
cache is shared by every test and worker.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import signal
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from helpers import FRAMEWORKS, package_json

NPM_TIMEOUT = 600
START_TIMEOUT = 30
# The current LTS line, brought from the npm registry (the `node` package) into
# the shared npm cache, so projects are proven on it as well as on the machine's Node.
OTHER_NODE = "node@24"


@pytest.fixture
def npm_env(npm_cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
    env.update(
        npm_config_cache=str(npm_cache),
        npm_config_update_notifier="false",
        npm_config_fund="false",
        npm_config_audit="false",
        NODE_ENV="development",
    )
    env.pop("PORT", None)
    env.pop("HOST", None)
    return env


def npm(project, env, *args):
    result = subprocess.run(
        ["npm", *args], cwd=project, env=env, capture_output=True, text=True,
        timeout=NPM_TIMEOUT, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, (
        f"npm {' '.join(args)} failed ({result.returncode}) in {project}:\n"
        f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    )
    return result


def npx_node(project, env, node, *command):
    version = npm(project, env, "exec", "--yes", "--package", node, "--", "node", "--version")
    assert version.stdout.strip().startswith("v" + node.split("@")[1] + "."), version.stdout
    return npm(project, env, "exec", "--yes", "--package", node, "--", *command)


def http(method, url):
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Server:
    """The project's `npm start` command, run directly so signals reach node."""

    def __init__(self, project, env):
        command = shlex.split(package_json(project)["scripts"]["start"])
        self.process = subprocess.Popen(
            command, cwd=project, env={**env, "PORT": "0", "HOST": "127.0.0.1"},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text, timeout=START_TIMEOUT):
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout}s:\n{''.join(self.output)}")
            if line is None:
                raise AssertionError(f"server exited before {text!r}:\n{''.join(self.output)}")
            self.output.append(line)
            if text in line:
                return line

    def stop(self, sig=signal.SIGTERM, timeout=START_TIMEOUT):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_generated_project_installs_tests_and_serves(render, npm_env, framework):
    result = render(framework=framework, project_name=f"cycle-{framework}")
    assert result.exit_code == 0, result.exception
    project = result.project_dir

    npm(project, npm_env, "install", "--no-audit", "--no-fund")
    assert (project / "node_modules" / "posthog-node").is_dir()
    npm(project, npm_env, "test")
    # `npx -p node@24` puts that Node first on PATH, so npm and the test runner,
    # and the servers the tests spawn (process.execPath), all run on it.
    result = npx_node(project, npm_env, OTHER_NODE, "npm", "test")
    # Node 24's runner prints its summary as "ℹ pass N" where Node 20 prints "# pass N".
    summary = dict(re.findall(r"^[#ℹ] (pass|fail) (\d+)$", result.stdout, re.M))
    assert int(summary.get("pass", 0)) > 0 and summary.get("fail") == "0", result.stdout[-3000:]

    server = Server(project, npm_env)
    try:
        line = server.wait_for("listening on http://")
        base = line.split("listening on ", 1)[1].split()[0].rstrip("/")
        assert not base.endswith(":0"), "the real port is printed, not 0"
        assert http("GET", f"{base}/health") == (200, {"status": "ok"})
        status, body = http("GET", f"{base}/no-such-route")
        assert status == 404 and isinstance(body.get("error"), str)
        assert server.stop() == 0, "".join(server.output)
    finally:
        server.stop()
    # No key in the environment: PostHog is off, and the server says so once,
    # before it starts listening.
    startup = server.output[: server.output.index(line)]
    assert sum("posthog" in entry.lower() for entry in startup) == 1, "".join(startup)
