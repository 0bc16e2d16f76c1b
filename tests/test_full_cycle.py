"""The full cycle a user goes through: generate, `npm install`, commit the
lockfile and push, the project's own CI (`.github/workflows/ci.yml`'s `run`
steps, in order, on a fresh clone: `npm ci`, `npm test` with its type-check),
`npm start`, on each supported Node line; and, once `npm test` passes, the
template's conformance suite against the project's server (tests/conformance.py).

Slow (it installs from the npm registry), and part of the default run. One npm
cache is shared by every test and worker. The matrix (README, "Tests"): every
framework in both languages, each on one Node line, so that each of 22, 24 and
26 runs two frameworks and both languages; PostgreSQL projects for every
framework and language on Node 24, against a throwaway server
(tests/postgres.py) standing in for the workflow's service container.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

import workflows
from helpers import FRAMEWORKS, Server, git, package_json
from node_runtime import node_bin
from readme_route import add_the_readme_route, feedback_event

NPM_TIMEOUT = 900

# (framework, language, Node line): each pair once, each line twice.
CYCLE = [
    ("express", "javascript", "22"),
    ("koa", "typescript", "22"),
    ("fastify", "typescript", "24"),
    ("koa", "javascript", "24"),
    ("express", "typescript", "26"),
    ("fastify", "javascript", "26"),
]


@pytest.fixture
def npm_env(npm_cache):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("POSTHOG_") and k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
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


def npm(project, env, *args, check=True):
    result = subprocess.run(
        ["npm", *args], cwd=project, env=env, capture_output=True, text=True,
        timeout=NPM_TIMEOUT, stdin=subprocess.DEVNULL,
    )
    if check:
        assert result.returncode == 0, (
            f"npm {' '.join(args)} failed ({result.returncode}) in {project}:\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
        )
    return result


def on_node(env, npm_cache, line):
    """`env` with Node `line` (from the npm registry) first on PATH: npm, the test
    runner and the servers the tests spawn (process.execPath) all run on it."""
    return {**env, "PATH": f"{node_bin(line, str(npm_cache))}{os.pathsep}{env['PATH']}"}


def assert_tests_passed(result):
    summary = dict(re.findall(r"^[#ℹ] (pass|fail) (\d+)$", result.stdout, re.M))
    assert int(summary.get("pass", 0)) > 0 and summary.get("fail") == "0", result.stdout[-3000:]


def ci_workflow_passes(project, env, tmp_path, line, overrides=None):
    """What happens once the project is pushed, as its README says (with
    package-lock.json committed): ci.yml's `test` job, its `run` steps in order,
    on a fresh clone, with Node `line` (PATH's) standing in for the matrix's.
    Returns the `npm test` step's result."""
    git(project, "add", "package-lock.json")
    git(project, "-c", "user.name=Template Tests", "-c", "user.email=tests@example.invalid",
        "commit", "--quiet", "-m", "Add package-lock.json")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "--quiet", str(project), str(checkout))
    runner_env = {k: v for k, v in env.items() if k != "NODE_ENV"}
    steps = workflows.run_job(
        workflows.load(checkout / ".github" / "workflows" / "ci.yml"), "test", checkout, runner_env,
        overrides=overrides,
        stands_in={"actions/checkout": "the clone", "actions/setup-node": f"Node {line} on PATH"},
        context={"matrix.node-version": line},
    )
    assert [step.script for step in steps] == ["npm ci", "npm test"]
    assert_tests_passed(steps[-1])
    # Nothing the steps did is left for git to see: the workflow works on a clean tree.
    assert git(checkout, "status", "--porcelain") == ""
    return steps[-1]


def http(method, url):
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.mark.slow
@pytest.mark.parametrize(("framework", "language", "line"), CYCLE, ids=lambda v: str(v))
def test_generated_project_installs_tests_and_serves(render, npm_env, npm_cache, conformance, tmp_path, framework,
                                                    language, line):
    result = render(framework=framework, language=language, project_name=f"cycle-{framework}-{language}")
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    env = on_node(npm_env, npm_cache, line)
    version = subprocess.run(["node", "--version"], env=env, capture_output=True, text=True).stdout
    assert version.startswith(f"v{line}."), version

    npm(project, env, "install", "--no-audit", "--no-fund")
    assert (project / "node_modules" / "posthog-node").is_dir()
    if language == "typescript":
        # Nothing to build: the same .ts files run, and tsc only checks them,
        # as part of `npm test` (the CI step below).
        assert not list((project / "src").glob("*.js"))
        assert "tsc" in package_json(project)["scripts"]["test"]
    ci_workflow_passes(project, env, tmp_path, line)
    conformance(project, env)

    server = Server(project, env)
    try:
        line_out = server.wait_for("listening on http://")
        base = line_out.split("listening on ", 1)[1].split()[0].rstrip("/")
        assert not base.endswith(":0"), "the real port is printed, not 0"
        assert http("GET", f"{base}/health") == (200, {"status": "ok"})
        status, body = http("GET", f"{base}/no-such-route")
        assert status == 404 and isinstance(body.get("error"), str)
        assert server.stop() == 0, "".join(server.output)
    finally:
        server.stop()
    # No key in the environment: PostHog is off, and the server says so once,
    # before it starts listening; Node printed no warning (node:sqlite on 22).
    startup = server.output[: server.output.index(line_out)]
    assert sum("posthog" in entry.lower() for entry in startup) == 1, "".join(startup)
    assert not any("Warning" in entry for entry in server.output), "".join(server.output)

    # The README's "Adding a route", done as it says: the new route's event
    # carries the signed-in user and the browser's session, with no PostHog call
    # of its own but the capture, and (in TypeScript) it type-checks.
    add_the_readme_route(project)
    if language == "typescript":
        npm(project, env, "run", "typecheck")
    account, event = feedback_event(project, env, tmp_path)
    assert event["distinct_id"] == account["user"]["id"]
    assert event["properties"]["$session_id"] == "session-reader"
    assert event["properties"]["$request_path"] == "/api/feedback"
    assert event["properties"]["message_length"] == len("Nice!")


@pytest.mark.slow
@pytest.mark.parametrize("language", ["javascript", "typescript"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_postgres_project_passes_its_own_tests(render, npm_env, npm_cache, postgres_url, postgres_database, conformance,
                                               tmp_path, framework, language):
    result = render(framework=framework, language=language, database="postgres",
                    project_name=f"pg-{framework}-{language}")
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    npm(project, npm_env, "install", "--no-audit", "--no-fund")

    # Without a test database `npm test` fails and says how to get one.
    missing = npm(project, npm_env, "test", check=False)
    assert missing.returncode != 0
    assert "TEST_DATABASE_URL" in missing.stderr + missing.stdout

    # CI's service container: its TEST_DATABASE_URL becomes the throwaway server's.
    run = ci_workflow_passes(project, on_node(npm_env, npm_cache, "24"), tmp_path, "24",
                             overrides={"TEST_DATABASE_URL": postgres_url})
    assert "two processes" in run.stdout
    conformance(project, npm_env, database_url=postgres_database)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["javascript", "typescript"])
@pytest.mark.parametrize("node", ["20", "22.21.0"])
def test_unsupported_node_is_refused_in_one_line(render, npm_env, npm_cache, language, node):
    project = render(language=language, project_name=f"old-node-{language}").project_dir
    # As the quick start says (`cp -n .env.example .env`). Without a .env, Node
    # before 22.22 adds a notice of its own (".env not found") for --env-file-if-exists.
    shutil.copy(project / ".env.example", project / ".env")
    env = on_node(npm_env, npm_cache, node)
    # Nothing installed: the refusal comes before any dependency is needed.
    for script in ("start", "test"):
        result = npm(project, env, "run", script, check=False)
        assert result.returncode != 0
        output = [line for line in (result.stderr + result.stdout).splitlines()
                  if line.strip() and not line.startswith(("> ", "npm error"))]
        assert len(output) == 1, output
        assert "22.22" in output[0] and "24" in output[0], output


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_typescript_without_the_page_typechecks(render, npm_env, framework):
    """The cycle above type-checks each framework with the page; without it the
    adapter serves no static roots, and still type-checks."""
    result = render(framework=framework, language="typescript", frontend=False,
                    project_name=f"ts-no-page-{framework}")
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    assert not (project / "public").exists()
    npm(project, npm_env, "install", "--no-audit", "--no-fund")
    npm(project, npm_env, "run", "typecheck")
