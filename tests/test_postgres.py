"""PostgreSQL projects: rendered for each framework, installed, and their own
`npm test` run on Node 24 against a throwaway PostgreSQL (tests/postgres.py)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from helpers import FRAMEWORKS, package_json

NPM_TIMEOUT = 900
NODE = "node@24"


@pytest.fixture
def pg_npm_env(npm_cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTHOG_", "DATABASE_URL", "TEST_DATABASE_URL"))}
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


def test_postgres_project_has_pg_and_compose_and_no_sqlite(render):
    project = render(database="postgres").project_dir
    assert "pg" in package_json(project)["dependencies"]
    assert (project / "compose.yaml").is_file() and (project / "Dockerfile").is_file()
    source = (project / "src" / "database.js").read_text()
    assert "from 'pg'" in source and "node:sqlite" not in source
    assert "{%" not in source

    sqlite = render(project_name="sqlite-app").project_dir
    assert "pg" not in package_json(sqlite)["dependencies"]
    assert not (sqlite / "compose.yaml").exists() and not (sqlite / "Dockerfile").exists()
    assert "node:sqlite" in (sqlite / "src" / "database.js").read_text()
    assert "data/" in (sqlite / ".gitignore").read_text().splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_postgres_project_passes_its_own_tests(render, pg_npm_env, postgres_url, framework):
    result = render(framework=framework, database="postgres", project_name=f"pg-{framework}")
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    npm(project, pg_npm_env, "install", "--no-audit", "--no-fund")

    # Without a test database `npm test` fails and says how to get one.
    missing = npm(project, pg_npm_env, "exec", "--yes", "--package", NODE, "--", "npm", "test", check=False)
    assert missing.returncode != 0
    assert "TEST_DATABASE_URL" in missing.stderr + missing.stdout

    env = {**pg_npm_env, "TEST_DATABASE_URL": postgres_url}
    # `npm exec -p node@24` puts that Node first on PATH for npm, the test runner
    # and the servers the tests spawn (process.execPath).
    run = npm(project, env, "exec", "--yes", "--package", NODE, "--", "npm", "test")
    summary = dict(re.findall(r"^[#ℹ] (pass|fail) (\d+)$", run.stdout, re.M))
    assert int(summary.get("pass", 0)) > 0 and summary.get("fail") == "0", run.stdout[-3000:]
    assert "database.test.js" in run.stdout or "DATABASE_URL the server cannot use" in run.stdout
