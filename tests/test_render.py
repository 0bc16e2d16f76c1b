"""What `copier copy` produces: files, answers, package.json settings, clean output."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

import pytest
import yaml

from helpers import FRAMEWORKS, git, package_json, project_files

US = "https://us.i.posthog.com"
EU = "https://eu.i.posthog.com"


def test_default_render(render):
    result = render()
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    for name in (
        "package.json",
        ".copier-answers.yml",
        ".gitignore",
        ".env.example",
        "README.md",
        "src/server.js",
        "src/app.js",
    ):
        assert (project / name).is_file(), f"{name} missing from the default project"
    # No token given: no .env, PostHog is set up later from .env.example.
    assert not (project / ".env").exists()

    pkg = package_json(project)
    assert pkg["name"] == "posthog-node-app"
    assert pkg["description"] == "A Node.js server with PostHog analytics"
    assert pkg["config"] == {"port": 3000, "posthogHost": US, "posthogProxyPath": pkg["config"]["posthogProxyPath"]}
    # The page's relay path, drawn for this project (tests/test_browser.py checks it further).
    assert re.fullmatch(r"/[a-z0-9]{8}", pkg["config"]["posthogProxyPath"])
    assert "express" in pkg["dependencies"]
    assert "posthog-node" in pkg["dependencies"]
    for script in ("start", "dev", "test", "posthog:check", "posthog:inspect"):
        assert script in pkg["scripts"], f"npm script {script} missing"


def test_template_machinery_is_not_copied(render):
    project = render().project_dir
    for name in ("copier.yml", "frameworks", "hooks", "tests", "template", "Makefile",
                 "requirements-dev.txt", "pyproject.toml", ".ci"):
        assert not (project / name).exists(), f"{name} leaked into the generated project"


def test_answers_file(render, template):
    result = render(project_name="shop-api", port=8080, posthog_host=EU)
    answers = yaml.safe_load((result.project_dir / ".copier-answers.yml").read_text())
    assert answers == {
        "_commit": answers["_commit"],
        "_src_path": str(template),
        "project_name": "shop-api",
        "description": "A Node.js server with PostHog analytics",
        "framework": "express",
        "language": "javascript",
        "posthog_host": EU,
        "port": 8080,
        "frontend": True,
        # Never asked, drawn once and kept: updates must not change it.
        "posthog_proxy_path": answers["posthog_proxy_path"],
        "database": "sqlite",
    }
    # `copier update` needs to know which template version the project came from.
    assert answers["_commit"]


@pytest.mark.parametrize(
    "custom_host",
    ["https://posthog.example.com", "https://ph.example.com:8443", "http://localhost:8010"],
)
def test_custom_host_lands_in_package_json(render, custom_host):
    result = render(posthog_host="custom", posthog_custom_host=custom_host, port=4321)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    config = package_json(project)["config"]
    assert config == {"port": 4321, "posthogHost": custom_host, "posthogProxyPath": config["posthogProxyPath"]}
    assert f"POSTHOG_HOST={custom_host}\n" in (project / ".env.example").read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["posthog_host"] == "custom"
    assert answers["posthog_custom_host"] == custom_host


def test_eu_host(render):
    project = render(posthog_host=EU).project_dir
    assert package_json(project)["config"]["posthogHost"] == EU


def test_custom_host_is_ignored_unless_custom_is_chosen(render):
    project = render(posthog_host=EU, posthog_custom_host="https://ignored.example.com").project_dir
    assert package_json(project)["config"]["posthogHost"] == EU
    answers = (project / ".copier-answers.yml").read_text()
    assert "posthog_custom_host" not in answers
    assert "ignored.example.com" not in answers


def test_scoped_name_and_description_with_quotes(render):
    description = 'Todo API with "analytics" & <flags>'
    project = render(project_name="@acme/todo-api", description=description).project_dir
    pkg = package_json(project)
    assert pkg["name"] == "@acme/todo-api"
    assert pkg["description"] == description


JINJA_SYNTAX = re.compile(r"\{\{|\{%|\{#|%\}|#\}")
# GitHub Actions' own expressions, which a rendered workflow keeps ({% raw %} in its template).
ACTIONS_EXPRESSION = re.compile(r"\$\{\{ [\w.-]+ \}\}")


def template_source(template, rel):
    """The template file a generated file came from, or None for templated names."""
    for candidate in (template / "template" / f"{rel}.jinja", template / "template" / rel):
        if candidate.is_file():
            return candidate
    return None


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"language": "typescript", "database": "postgres", "frontend": False},
        {
            "posthog_host": "custom",
            "posthog_custom_host": "https://ph.example.com",
            "posthog_project_token": "phc_leftovercheck",
        },
    ],
    ids=["defaults", "typescript-postgres-no-page", "custom-host-and-token"],
)
def test_no_jinja_leftovers(render, template, framework, answers):
    """Rendered files hold no Jinja syntax; other files are copied byte for byte
    (so braces in them, such as JSDoc's `{{ a: number }}`, are the author's)."""
    result = render(framework=framework, **answers)
    assert result.exit_code == 0, result.exception
    files = project_files(result.project_dir)
    assert files
    for path in files:
        rel = path.relative_to(result.project_dir)
        assert "{{" not in path.name and "{%" not in path.name, f"unrendered file name {rel}"
        assert not path.name.endswith(".jinja"), f"template suffix left on {rel}"
        source = template_source(template, rel) if "{%" not in str(rel) else None
        text = path.read_text()
        if source is not None and source.suffix != ".jinja":
            assert text == source.read_text(), f"{rel} differs from its source"
            continue
        if rel.parts[:2] == (".github", "workflows"):
            text = ACTIONS_EXPRESSION.sub("", text)
        match = JINJA_SYNTAX.search(text)
        assert match is None, (
            f"Jinja syntax left in {rel}: "
            f"{text[max(0, match.start() - 60):match.end() + 60]!r}"
        )


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_readme_names_the_project_and_has_no_seams(render, framework):
    result = render(framework=framework, project_name="shop-api", port=8080)
    readme = (result.project_dir / "README.md").read_text()
    assert readme.startswith("# shop-api\n")
    assert {"express": "Express", "fastify": "Fastify", "koa": "Koa"}[framework] in readme
    assert "8080" in readme
    assert US in readme
    assert "\n\n\n" not in readme, "blank-line runs left by template tags"
    assert not re.search(r"[ \t]+$", readme, re.MULTILINE), "trailing whitespace"
    assert readme.endswith("\n") and not readme.endswith("\n\n")
    for heading in ("## Quick start", "## Environment", "## HTTP API", "## Events"):
        assert heading in readme


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("language", ["javascript", "typescript"])
@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_each_answer_picks_whole_files(render, framework, language, database):
    """One language's sources, one adapter, one database module: the answers pick
    whole files, and nothing of the other choices is left behind."""
    result = render(framework=framework, language=language, database=database)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    ext, other = ("ts", "js") if language == "typescript" else ("js", "ts")
    sources = [p.relative_to(project).as_posix() for p in project_files(project)
               if p.suffix in (".js", ".ts") and p.parts[len(project.parts)] in ("src", "test", "scripts")]
    # scripts/check-node.js runs before anything else, on any Node: plain JavaScript in both.
    assert [s for s in sources if s.endswith(f".{other}")] in ([], ["scripts/check-node.js"])
    for name in ("src/server", "src/app", "src/lifecycle", "src/data/database", "src/data/store",
                 "src/domain/services", "src/domain/page", "scripts/capture-sink", "test/app.test"):
        assert f"{name}.{ext}" in sources, f"{name}.{ext} missing"
    app = (project / "src" / f"app.{ext}").read_text()
    assert f"from '{framework}'" in app
    # The framework's own files are its only: the shared domain and data name no framework.
    for shared in sorted((project / "src").glob(f"[dp]*/*.{ext}")):
        text = shared.read_text()
        assert not re.search(r"from '(express|fastify|koa|@koa/[\w-]+|@fastify/[\w-]+|fastify-plugin)'", text), shared
    http = sorted(p.relative_to(project / "src" / "http").as_posix() for p in (project / "src" / "http").rglob(f"*.{ext}"))
    assert http, "no src/http/ for the framework"
    database_module = (project / "src" / "data" / f"database.{ext}").read_text()
    assert ("from 'pg'" in database_module) == (database == "postgres")
    assert ("node:sqlite" in database_module) == (database == "sqlite")
    assert (project / "tsconfig.json").exists() == (language == "typescript")
    pkg = package_json(project)
    assert pkg["main"] == f"src/server.{ext}"
    assert f"src/server.{ext}" in pkg["scripts"]["start"]
    assert ("typecheck" in pkg["scripts"]) == (language == "typescript")
    assert ("typescript" in pkg.get("devDependencies", {})) == (language == "typescript")
    assert ("pg" in pkg["dependencies"]) == (database == "postgres")
    # Either database ships an image and a compose file (tests/test_shipping.py).
    for shipped in ("compose.yaml", "Dockerfile", ".dockerignore", ".github/workflows/ci.yml",
                    ".github/workflows/template-update.yml", ".github/dependabot.yml"):
        assert (project / shipped).is_file(), shipped
    assert f"src/server.{ext}" in (project / "Dockerfile").read_text()
    if database == "sqlite":
        # The SQLite file's folder at the root, not src/data/ (the store's sources).
        assert "/data/" in (project / ".gitignore").read_text().splitlines()
        assert "data" not in git(project, "check-ignore", "-v", "src/data/store." + ext, check=False)


def test_supported_node_lines_only(render):
    project = render().project_dir
    assert package_json(project)["engines"] == {"node": "^22.22.0 || ^24.0.0 || >=26.0.0"}
    assert (project / ".nvmrc").read_text().strip() in ("22", "24", "26")
    assert "engine-strict=true" in (project / ".npmrc").read_text()


def test_npm_test_reads_env_like_npm_start(render):
    """`npm test` (and its pretest) read .env as `npm start` does: a PostgreSQL
    project's TEST_DATABASE_URL can live there. The pretest needs no install."""
    project = render(database="postgres").project_dir
    scripts = package_json(project)["scripts"]
    assert "--env-file-if-exists=.env" in scripts["test"].split("&&")[-1]
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL")}
    pretest = shlex.split(scripts["pretest"])
    missing = subprocess.run(pretest, cwd=project, env=env, capture_output=True, text=True)
    assert missing.returncode == 1 and "TEST_DATABASE_URL is not set (in .env or the shell)" in missing.stderr
    (project / ".env").write_text("TEST_DATABASE_URL=postgres://app:app@localhost:5432/app\n")
    found = subprocess.run(pretest, cwd=project, env=env, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
