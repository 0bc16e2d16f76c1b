"""`copier update` across tagged releases, with the edits real users make.

Each test generates a project from a throwaway template repository holding the real
releases, by their tags, and the working tree as the next version (see releases.py), commits, changes it the way its owners would, updates as the
README says, and compares the result with what it must be: a fresh render of the
new version with the same edits made to it. Equality of whole trees shows at once
that the template's changes arrived, that every user edit survived, and that
nothing else moved.

0.5.0 moved the sources: the route table `src/routes.js` became one route module
per resource in the framework's own `src/http/routes/`, the event catalogue
`src/analytics.js` became `src/domain/events.js`. The owners' edits therefore go
where their project's version keeps those things, and an update that crosses 0.5.0
keeps each edited old file as the owners committed it, to be ported by hand
(hooks/migrations/keep_changed_files.py, CHANGELOG.md's "Updating" for 0.5.0).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from helpers import ROOT, git, package_json
from releases import (
    FETCH_TAGS,
    NEXT,
    OLD,
    IN_MEMORY,
    PREVIOUS,
    RELEASED,
    RELEASE_COMMITS,
    missing_releases,
    recorded_commits,
    release_commit,
    require_releases,
    tag_commit,
    build_releases,
    clone,
    commit_all,
    conflict_markers,
    copier,
    differences,
    generate,
    release,
    render,
    unmerged,
    update,
)

TOKEN = "phc_update_test_token"
US = "https://us.i.posthog.com"
EU = "https://eu.i.posthog.com"
MIGRATION = ROOT / "hooks" / "migrations" / "v0_2_0_env_defaults.py"
KEEP_CHANGED_FILES = ROOT / "hooks" / "migrations" / "keep_changed_files.py"
_major, _minor, _patch = map(int, NEXT.split("."))
AFTER_NEXT = f"{_major}.{_minor}.{_patch + 1}"  # a release made after NEXT, in a clone


@pytest.fixture(scope="session")
def releases(tmp_path_factory):
    """The template's real releases and the working tree as NEXT (read-only: clone it to add more)."""
    return build_releases(tmp_path_factory.mktemp("releases") / "copier-posthog-node")


# --- What the owners of a generated project do to it ---------------------------------

# The release that moved the routes and the event catalogue, and the last one before.
LAYOUT_MOVED = "0.5.0"
LAST_OLD_LAYOUT = "0.4.0"

# Up to 0.4.0: an entry of the framework-free route table in src/routes.js.
USER_ROUTE = """\
    {
      method: 'GET',
      path: '/api/version',
      handler: () => ({ status: 200, body: { version: process.env.APP_VERSION ?? 'dev' } }),
    },
"""
# From 0.5.0: a route of Express's accounts Router (mounted at /api), the same endpoint.
USER_EXPRESS_ROUTE = """\
  router.get('/version', (req, res) => {
    res.json({ version: process.env.APP_VERSION ?? 'dev' });
  });

"""
OLD_ROUTE_MARK = "path: '/api/version'"
NEW_ROUTE_MARK = "router.get('/version',"
PROPERTY_MARK = "plan: 'free'"

USER_TEST = """\
import assert from 'node:assert/strict';
import { it } from 'node:test';

it('has our own test', () => assert.ok(true));
"""


def replace_once(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name} no longer has {old!r}: update this test's edit"
    path.write_text(text.replace(old, new))


def answers_of(project):
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def version_tuple(version):
    return tuple(int(part) for part in re.match(r"v?(\d+)\.(\d+)\.(\d+)", version).groups())


def on_old_layout(answers):
    return version_tuple(answers["_commit"]) < version_tuple(LAYOUT_MOVED)


def ext_of(answers):
    return ".ts" if answers.get("language") == "typescript" else ".js"


def route_file(answers):
    """Where a project of this version declares /api routes (the one our route joins)."""
    if on_old_layout(answers):
        return f"src/routes{ext_of(answers)}"
    assert answers.get("framework", "express") == "express", "this test's route is Express's"
    return f"src/http/routes/accounts{ext_of(answers)}"


def event_file(answers):
    """Where a project of this version keeps the event catalogue."""
    return f"src/{'analytics' if on_old_layout(answers) else 'domain/events'}{ext_of(answers)}"


def add_a_route(project):
    """A new endpoint, GET /api/version, where the project's version declares routes."""
    answers = answers_of(project)
    path = project / route_file(answers)
    if on_old_layout(answers):
        table = "  const routes: Route[] = [\n" if answers.get("language") == "typescript" \
            else "  const routes = [\n"
        replace_once(path, table, table + USER_ROUTE)
    else:
        replace_once(path, "  return router;\n", USER_EXPRESS_ROUTE + "  return router;\n")


def add_our_test(project):
    (project / "test" / "version.test.js").write_text(USER_TEST)


def edit_an_event_property(project):
    replace_once(project / event_file(answers_of(project)), "{ signup_method: 'email' }",
                 "{ signup_method: 'email', plan: 'free' }")


def has_our_route(project):
    answers = answers_of(project)
    mark = OLD_ROUTE_MARK if on_old_layout(answers) else NEW_ROUTE_MARK
    return mark in (project / route_file(answers)).read_text()


def rewrite_the_readme(project):
    """Our own introduction instead of the generated one, and a section of ours."""
    readme = project / "README.md"
    description = yaml.safe_load((project / ".copier-answers.yml").read_text())["description"]
    replace_once(readme, f"\n{description}\n",
                 "\nThe shop's backend: carts, orders, and what PostHog learns from them.\n")
    replace_once(readme, "\n## Identity and sessions\n",
                 "\n## Deployment\n\nFly.io, from main: `fly deploy`. Secrets in 1Password.\n"
                 "\n## Identity and sessions\n")


def drop_nvmrc(project):
    """We pin Node with Volta instead."""
    (project / ".nvmrc").unlink()


USER_EDITS = (add_a_route, add_our_test, edit_an_event_property, rewrite_the_readme, drop_nvmrc)
# The edits made in files that 0.5.0 moved, and the file each is made in up to 0.4.0.
MOVED_BY_0_5_0 = {add_a_route: "src/routes", edit_an_event_property: "src/analytics"}


def make_user_edits(project, edits=USER_EDITS):
    for edit in edits:
        edit(project)


def committed_answers(project):
    return yaml.safe_load(git(project, "show", "HEAD:.copier-answers.yml"))


def kept_files(project, edits=USER_EDITS):
    """The files the owners edited that 0.5.0 moved, when the project was on an older version
    (as committed, that is before the update): the update must keep them."""
    answers = committed_answers(project)
    if not on_old_layout(answers):
        return []
    return sorted(MOVED_BY_0_5_0[edit] + ext_of(answers) for edit in edits if edit in MOVED_BY_0_5_0)


def render_like(releases, dest, project, **answers):
    """A fresh NEXT project with these answers and the relay path `project` drew (each
    project with the page draws its own at generation, and keeps it across updates)."""
    drawn = answers_of(project).get("posthog_proxy_path")
    return render(releases, dest, NEXT, **answers, **({"posthog_proxy_path": drawn} if drawn else {}))


def expected_after_update(releases, dest, project, edits=USER_EDITS, **answers):
    """What `project` must be once updated to NEXT: a fresh NEXT project with the same edits.

    An edit made in a file that 0.5.0 moved does not reach the new file: the old one
    stays, exactly as the owners committed it, until they port the edit by hand."""
    expected = render_like(releases, dest, project, **answers)
    kept = kept_files(project, edits)
    for edit in edits:
        if edit not in MOVED_BY_0_5_0 or not kept:
            edit(expected)
    for rel in kept:
        (expected / rel).write_text(git(project, "show", f"HEAD:{rel}"))
    return expected


def kept_message(*files):
    """What keep_changed_files.py says on an update across 0.5.0 (without the version range)."""
    listing = "".join(f"  {rel}\n" for rel in files)
    return (f"This update deleted {len(files)} file(s) you had changed: template {NEXT} moved "
            f"their code to other files or dropped it. They are back, as you committed them, "
            f"and the template no longer uses them:\n{listing}"
            f'Where their code lives now: the "Updating" section of CHANGELOG.md for each version ')


def effective_config(project):
    """What the project's own src/config.js makes of package.json and .env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTHOG_", "PORT", "HOST"))}
    script = "const { loadConfig } = await import('./src/config.js'); " \
             "const c = loadConfig(); console.log(JSON.stringify({ port: c.port, host: c.posthog.host }));"
    out = subprocess.run(
        ["node", "--env-file-if-exists=.env", "--input-type=module", "-e", script],
        cwd=project, env=env, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


def assert_clean_merge(project):
    assert conflict_markers(project) == []
    assert unmerged(project) == []
    assert not list(project.rglob("*.rej"))


# --- Updating across releases ---------------------------------------------------------


def test_update_across_releases_keeps_every_user_edit(releases, tmp_path):
    answers = {"project_name": "shop-api", "port": 4000}
    project = generate(releases, tmp_path / "shop-api", OLD, **answers,
                       posthog_project_token=TOKEN)
    make_user_edits(project)
    env = project / ".env"
    env.write_text(env.read_text() + "POSTHOG_DEBUG=true\n")
    env_before = env.read_bytes()
    commit_all(project, "Our work")

    assert json.loads(copier("check-update", "--output-format", "json", cwd=project).stdout) \
        == {"update_available": True, "current_version": OLD, "latest_version": NEXT}
    result = update(project)
    assert f"Updating to template version {NEXT}" in result.stderr

    expected = expected_after_update(releases, tmp_path / "expected", project, **answers)
    assert differences(project, expected, ignore={".env"}) == []
    assert_clean_merge(project)

    # The release's changes are there: .env.example pins no default any more, the
    # sources have 0.5.0's layout...
    env_example = (project / ".env.example").read_text()
    assert "\n# PORT=4000\n" in env_example and "\nPORT=" not in env_example
    assert "copier check-update" in (project / "README.md").read_text()
    assert (project / "src" / "domain" / "events.js").is_file()
    # ...and the user's: the route and the property in the files they edited (0.5.0
    # moved that code: kept to port by hand, and said so), the README, the deleted file.
    assert kept_message("src/analytics.js", "src/routes.js") in result.stderr
    assert OLD_ROUTE_MARK in (project / "src" / "routes.js").read_text()
    assert PROPERTY_MARK in (project / "src" / "analytics.js").read_text()
    assert "## Deployment" in (project / "README.md").read_text()
    assert not (project / ".nvmrc").exists()
    # 0.2.0's question, new to a 0.1.0 project, answered with its default: the page arrived.
    assert (project / "public").is_dir() and answers_of(project)["frontend"] is True

    # .env is the user's: not a byte changed, key not asked for, not recorded.
    assert env.read_bytes() == env_before
    recorded = answers_of(project)
    assert recorded["_commit"] == f"v{NEXT}" and recorded["port"] == 4000
    assert "posthog_project_token" not in recorded
    assert TOKEN not in (project / ".copier-answers.yml").read_text()
    # The 0.2.0 migration read .env (which 0.1.0 wrote with POSTHOG_HOST) and said so.
    assert f"POSTHOG_HOST={US} repeats the default" in result.stderr

    # Nothing committed behind the user's back: the update waits for review.
    assert git(project, "rev-list", "--count", "HEAD").strip() == "2"
    commit_all(project, f"Update the template to {NEXT}")

    # Updating again is a no-op: same version, same files, no migration again.
    again = update(project)
    assert f"Keeping template version {NEXT}" in again.stderr
    assert "repeats the default" not in again.stderr and "you had changed" not in again.stderr
    assert git(project, "status", "--porcelain") == ""


def test_update_from_the_previous_release_keeps_every_user_edit(releases, tmp_path):
    """The update users of the newest release will run next."""
    answers = {"project_name": "shop-api", "framework": "fastify"}
    project = generate(releases, tmp_path / "shop-api", PREVIOUS, **answers)
    make_user_edits(project)
    commit_all(project, "Our work")
    update(project)
    expected = expected_after_update(releases, tmp_path / "expected", project, **answers)
    assert differences(project, expected) == []
    assert_clean_merge(project)
    assert answers_of(project)["_commit"] == f"v{NEXT}"


def test_update_from_a_project_without_env(releases, tmp_path):
    """No key given, no .env made: the update works and the migration has nothing to say."""
    project = generate(releases, tmp_path / "app", OLD)
    make_user_edits(project, [add_a_route])
    commit_all(project, "Our route")
    result = update(project)
    assert not (project / ".env").exists()
    assert "Template 0.2.0" not in result.stderr
    expected = expected_after_update(releases, tmp_path / "expected", project, [add_a_route])
    assert differences(project, expected) == []
    assert_clean_merge(project)


def test_update_from_0_1_0_can_decline_the_new_question(releases, tmp_path):
    """Since 0.2.0 `frontend` is asked; --defaults says yes (as checked above), --data says no."""
    project = generate(releases, tmp_path / "app", OLD)
    assert not (project / "public").exists()
    assert "frontend" not in answers_of(project)
    make_user_edits(project)
    commit_all(project, "Our work")
    update(project, "--data", "frontend=false")
    expected = expected_after_update(releases, tmp_path / "expected", project, frontend=False)
    assert differences(project, expected) == []
    assert_clean_merge(project)
    assert answers_of(project)["frontend"] is False


def test_a_genuine_conflict_is_marked_inline(releases, tmp_path):
    """The team changed a line that the release changes too: both are kept, marked."""
    project = generate(releases, tmp_path / "app", OLD)
    make_user_edits(project, [add_a_route, edit_an_event_property])
    replace_once(project / ".env.example", "\nPORT=3000\n", "\nPORT=4000\n")
    commit_all(project, "Our port, our route")

    result = update(project)
    assert result.returncode == 0

    # Only that file conflicts, with Copier's inline markers around both versions.
    text = (project / ".env.example").read_text()
    assert "\n<<<<<<< before updating\nPORT=4000\n=======\n" in text
    assert "# PORT=3000\n>>>>>>> after updating\n" in text
    assert {line.split(":")[0] for line in conflict_markers(project)} == {".env.example"}
    # ...and git knows: `git status` shows it as both modified, as the README says.
    assert unmerged(project) == [".env.example"]
    assert "both modified:   .env.example" in git(project, "status")
    # Everything else merged, and the edited files 0.5.0 moved are kept as they were.
    assert OLD_ROUTE_MARK in (project / "src" / "routes.js").read_text()
    assert PROPERTY_MARK in (project / "src" / "analytics.js").read_text()

    # The generated README says how to resolve it; doing so leaves a clean tree.
    readme = (project / "README.md").read_text()
    for step in ("<<<<<<< before updating", ">>>>>>> after updating", "both modified",
                 "`git add`"):
        assert step in readme
    ours_start = text.index("<<<<<<< before updating\n")
    theirs_start = text.index("=======\n") + len("=======\n")
    theirs_end = text.index(">>>>>>> after updating\n")
    (project / ".env.example").write_text(
        text[:ours_start] + text[theirs_start:theirs_end]
        + text[theirs_end + len(">>>>>>> after updating\n"):]
    )
    git(project, "add", ".env.example")
    assert unmerged(project) == [] and conflict_markers(project) == []
    commit_all(project, "Update the template")
    assert git(project, "status", "--porcelain") == ""


def test_conflicts_as_rej_files(releases, tmp_path):
    project = generate(releases, tmp_path / "app", OLD)
    replace_once(project / ".env.example", "\nPORT=3000\n", "\nPORT=4000\n")
    commit_all(project, "Our port")
    update(project, "--conflict", "rej")
    # The file is the template's; the user's change that did not fit waits in .rej.
    assert "\n# PORT=3000\n" in (project / ".env.example").read_text()
    assert "\n+PORT=4000\n" in (project / ".env.example.rej").read_text()
    assert conflict_markers(project) == []


def test_update_refuses_a_dirty_project(releases, tmp_path):
    project = generate(releases, tmp_path / "app", OLD)
    (project / "README.md").write_text("uncommitted\n")
    result = update(project, check=False)
    assert result.returncode != 0
    assert "Destination repository is dirty" in result.stderr
    assert (project / "README.md").read_text() == "uncommitted\n"


def test_update_without_defaults_and_without_a_terminal_fails_clearly(releases, tmp_path):
    """CI must pass --defaults: otherwise Copier stops before touching anything."""
    project = generate(releases, tmp_path / "app", OLD)
    result = copier("update", "--trust", cwd=project, check=False)
    assert result.returncode != 0
    assert "Interactive session required" in result.stdout + result.stderr
    assert git(project, "status", "--porcelain") == ""
    assert answers_of(project)["_commit"] == f"v{OLD}"


# --- Across 0.5.0's new layout ------------------------------------------------------


@pytest.mark.parametrize("language", ["javascript", "typescript"])
def test_update_from_0_4_0_keeps_a_route_and_an_event_edit_for_porting(releases, tmp_path, language):
    """A 0.4.0 project whose owners added a route and changed an event property,
    updated across 0.5.0, which moved both places: nothing they wrote is dropped.
    They see one message naming the two files; the files are as they committed
    them; the new layout is there; no conflict markers (no file that both sides
    changed still exists); once they port the edits as the CHANGELOG says and
    delete the old files, the project is a 0.5.0 project with the same edits."""
    ext = ".ts" if language == "typescript" else ".js"
    routes, analytics = f"src/routes{ext}", f"src/analytics{ext}"
    project = generate(releases, tmp_path / "shop-api", LAST_OLD_LAYOUT, project_name="shop-api",
                       language=language)
    edits = [add_a_route, add_our_test, edit_an_event_property]
    make_user_edits(project, edits)
    ours = {rel: (project / rel).read_text() for rel in (routes, analytics)}
    assert OLD_ROUTE_MARK in ours[routes] and PROPERTY_MARK in ours[analytics]
    commit_all(project, "Our route and property")

    result = update(project)

    # One message, naming both files, saying where to look and what to do.
    message = kept_message(analytics, routes)
    assert result.stderr.count(message) == 1
    assert f"for each version after {LAST_OLD_LAYOUT} up to {NEXT}, in the template" in result.stderr
    assert "Port your changes there by hand, then delete these files." in result.stderr
    # Both files exactly as committed: `git status` does not list them at all...
    for rel, text in ours.items():
        assert (project / rel).read_text() == text
    status = git(project, "status", "--porcelain").splitlines()
    assert not [line for line in status if line.endswith((routes, analytics))]
    # ...while the old files nobody edited are gone, as the release moved them.
    for old in ("api", "body", "request-context", "http-error", "store", "validation", "frontend"):
        assert f" D src/{old}{ext}" in status
    # The new layout is there, the template's own: the edits wait to be ported.
    for new in ("domain/events", "domain/todos", "domain/caller", "data/store", "lifecycle",
                "http/caller", "http/routes/accounts", "http/routes/todos", "app", "server"):
        assert (project / f"src/{new}{ext}").is_file(), new
    assert PROPERTY_MARK not in (project / f"src/domain/events{ext}").read_text()
    assert NEW_ROUTE_MARK not in (project / f"src/http/routes/accounts{ext}").read_text()
    assert_clean_merge(project)
    expected = expected_after_update(releases, tmp_path / "expected", project, edits,
                                     project_name="shop-api", language=language)
    assert differences(project, expected) == []
    assert answers_of(project)["_commit"] == f"v{NEXT}"

    # Committed as it is, a second update is a no-op: the old files are theirs now.
    commit_all(project, f"Update the template to {NEXT}")
    again = update(project)
    assert f"Keeping template version {NEXT}" in again.stderr
    assert "you had changed" not in again.stderr
    assert git(project, "status", "--porcelain") == ""

    # Ported as the CHANGELOG says: the route into its resource's route module, the
    # property into the event catalogue; the old files deleted.
    add_a_route(project)
    edit_an_event_property(project)
    for rel in (routes, analytics):
        (project / rel).unlink()
    ported = render_like(releases, tmp_path / "ported", project, project_name="shop-api", language=language)
    make_user_edits(ported, edits)
    assert differences(project, ported) == []


def test_a_file_both_sides_changed_conflicts_and_a_moved_one_is_kept(releases, tmp_path):
    """Across 0.5.0: where the owners and the release changed the same lines of a
    file both versions have (package.json's start script), the file holds both,
    marked, and `git status` says *both modified*; the route they added to
    src/routes.js, which 0.5.0 moved, is kept whole, with no markers."""
    project = generate(releases, tmp_path / "app", LAST_OLD_LAYOUT)
    package = project / "package.json"
    replace_once(package, '"start": "node --env-file-if-exists=.env',
                 '"start": "node --enable-source-maps --env-file-if-exists=.env')
    add_a_route(project)
    commit_all(project, "Source maps, our route")

    result = update(project)
    assert result.returncode == 0

    text = package.read_text()
    ours_start = text.index("<<<<<<< before updating\n")
    theirs_start = text.index("=======\n", ours_start)
    theirs_end = text.index(">>>>>>> after updating\n", theirs_start)
    assert '"start": "node --enable-source-maps --env-file-if-exists=.env' in text[ours_start:theirs_start]
    assert ('"start": "node --disable-warning=ExperimentalWarning --env-file-if-exists=.env'
            in text[theirs_start:theirs_end])
    assert {line.split(":")[0] for line in conflict_markers(project)} == {"package.json"}
    assert unmerged(project) == ["package.json"]
    assert "both modified:   package.json" in git(project, "status")
    # The message after the update names it.
    assert "These files have conflicts (git status: both modified): package.json." in result.stderr

    assert kept_message("src/routes.js") in result.stderr
    assert (project / "src" / "routes.js").read_text() == git(project, "show", "HEAD:src/routes.js")
    assert OLD_ROUTE_MARK in (project / "src" / "routes.js").read_text()
    assert "src/routes.js" not in git(project, "status", "--porcelain")


def test_an_unedited_project_crosses_0_5_0_without_a_word(releases, tmp_path):
    """Nothing edited, nothing kept: the moved files go, and no message."""
    project = generate(releases, tmp_path / "app", LAST_OLD_LAYOUT, framework="koa")
    (project / "src" / "mine.js").write_text("export const mine = 1;\n")
    commit_all(project, "Our own module")
    result = update(project)
    assert "you had changed" not in result.stderr
    assert not (project / "src" / "routes.js").exists()
    assert not (project / "src" / "analytics.js").exists()
    assert (project / "src" / "mine.js").read_text() == "export const mine = 1;\n"
    expected = render_like(releases, tmp_path / "expected", project, framework="koa")
    (expected / "src" / "mine.js").write_text("export const mine = 1;\n")
    assert differences(project, expected) == []
    assert_clean_merge(project)


def test_an_answer_that_leaves_out_an_edited_file_keeps_it(releases, tmp_path):
    """Not only releases delete files: `--data frontend=false` drops the page, and a
    page the owners edited is kept, said so, rather than silently removed."""
    project = generate(releases, tmp_path / "app", NEXT)
    page = project / "public" / "app.js"
    page.write_text(page.read_text() + "// our tweak\n")
    commit_all(project, "Our page tweak")
    result = update(project, "--data", "frontend=false")
    assert ("The answers you changed leave out 1 file(s) you had changed. They are back, as you "
            "committed them, and the template no longer uses them:\n  public/app.js\n") in result.stderr
    assert page.read_text().endswith("// our tweak\n")
    assert not (project / "public" / "index.html").exists()
    assert_clean_merge(project)


def run_keep_changed_files(cwd, *args):
    return subprocess.run([sys.executable, str(KEEP_CHANGED_FILES), *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def test_keep_changed_files_is_idempotent_and_never_fails(releases, tmp_path):
    # Outside git, without an answers file, with a wrong argument: nothing to do, no failure.
    assert run_keep_changed_files(tmp_path).returncode == 0
    assert run_keep_changed_files(tmp_path, "no/such/answers.yml").returncode == 0
    project = generate(releases, tmp_path / "app", NEXT)
    # Nothing deleted: quiet, and no render needed.
    quiet = run_keep_changed_files(project, ".copier-answers.yml")
    assert (quiet.returncode, quiet.stderr) == (0, "")
    # Deleted, but unchanged: stays deleted.
    (project / "src" / "auth.js").unlink()
    quiet = run_keep_changed_files(project, ".copier-answers.yml")
    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert not (project / "src" / "auth.js").exists()
    # Deleted and changed (committed): back, said once; a second run finds nothing.
    config = project / "src" / "config.js"
    config.write_text(config.read_text() + "// ours\n")
    commit_all(project, "Our config")
    config.unlink()
    first = run_keep_changed_files(project, ".copier-answers.yml")
    assert first.returncode == 0 and "  src/config.js\n" in first.stderr
    assert config.read_text().endswith("// ours\n")
    second = run_keep_changed_files(project, ".copier-answers.yml")
    assert (second.returncode, second.stderr) == (0, "")
    # The version the project was on cannot be rendered: it says so, names what the
    # update deleted, and still does not fail.
    answers = project / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(str(releases), str(tmp_path / "gone")))
    commit_all(project, "Template moved away")
    config.unlink()
    unsure = run_keep_changed_files(project, ".copier-answers.yml")
    assert unsure.returncode == 0
    assert "Could not render template" in unsure.stderr and "  src/config.js\n" in unsure.stderr
    assert "git checkout HEAD -- FILE" in unsure.stderr


def test_every_update_keeps_changed_files_it_deleted():
    """The migration is declared for every update (no version), after it."""
    config = yaml.safe_load((ROOT / "copier.yml").read_text())
    [migration] = [m for m in config["_migrations"]
                   if "keep_changed_files.py" in " ".join(m["command"])]
    assert "version" not in migration and "_stage == 'after'" in migration["when"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    updating = changelog.split(f"\n## {NEXT} ", 1)[1].split("\n## ", 1)[0]
    assert "### Updating" in updating and "keep_changed_files.py" in updating


# --- Changing answers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "change, port, host",
    [
        ({"port": 8080}, 8080, US),
        ({"posthog_host": EU}, 3000, EU),
        ({"posthog_host": "custom", "posthog_custom_host": "https://ph.example.com"},
         3000, "https://ph.example.com"),
    ],
    ids=["port", "eu-cloud", "custom-host"],
)
def test_changing_an_answer_through_update(releases, tmp_path, change, port, host):
    project = generate(releases, tmp_path / "app", NEXT)
    make_user_edits(project)
    # The README's quick start: .env is a copy of .env.example with the key filled in.
    env = project / ".env"
    env.write_text((project / ".env.example").read_text().replace(
        "\nPOSTHOG_PROJECT_TOKEN=\n", f"\nPOSTHOG_PROJECT_TOKEN={TOKEN}\n"))
    assert TOKEN in env.read_text()
    env_before = env.read_bytes()
    commit_all(project, "Our work")

    config_before = package_json(project)["config"]
    data = [arg for key, value in change.items() for arg in ("--data", f"{key}={value}")]
    update(project, *data)

    expected = expected_after_update(releases, tmp_path / "expected", project, **change)
    assert differences(project, expected, ignore={".env"}) == []
    assert_clean_merge(project)
    assert {k: v for k, v in answers_of(project).items() if k in change} == change
    # The answer changed, and nothing else: the relay path drawn at generation stays.
    assert package_json(project)["config"] == {**config_before, "port": port, "posthogHost": host}
    # .env pins nothing (0.2.0 writes none of the defaults there), so the change is live.
    assert env.read_bytes() == env_before
    assert effective_config(project) == {"port": port, "host": host}


def test_a_pinned_env_from_0_1_0_is_reported_not_rewritten(releases, tmp_path):
    """0.1.0's .env.example set PORT: the update says what to delete, and leaves .env be."""
    project = generate(releases, tmp_path / "app", OLD)
    (project / ".env").write_text((project / ".env.example").read_text())
    env_before = (project / ".env").read_bytes()
    result = update(project, "--data", "port=8080")

    assert package_json(project)["config"]["port"] == 8080
    assert (project / ".env").read_bytes() == env_before
    assert "PORT=3000 is the previous default" in result.stderr
    assert "overrides the new default (8080): delete the line" in result.stderr
    assert effective_config(project)["port"] == 3000
    # Doing what it says makes the answer the port.
    replace_once(project / ".env", "\nPORT=3000\n", "\n")
    assert effective_config(project)["port"] == 8080


# --- Switching framework ---------------------------------------------------------------


# What is not the framework's: the event catalogue and the services in src/domain/,
# the README, our own files. Routes are the framework's own code (src/http/routes/).
FRAMEWORK_FREE_EDITS = (add_our_test, edit_an_event_property, rewrite_the_readme, drop_nvmrc)


@pytest.mark.parametrize("framework", ["fastify", "koa"])
def test_switching_framework_keeps_framework_free_edits(releases, tmp_path, framework):
    """What the README promises: src/app.js, src/server.js, src/http/, the
    dependencies and the README's wiring section follow the new framework; events,
    services and everything else keep the owners' edits, without conflicts."""
    project = generate(releases, tmp_path / "app", NEXT)
    make_user_edits(project, FRAMEWORK_FREE_EDITS)
    commit_all(project, "Our work")

    result = update(project, "--data", f"framework={framework}")

    expected = expected_after_update(releases, tmp_path / "expected", project,
                                     FRAMEWORK_FREE_EDITS, framework=framework)
    assert differences(project, expected) == []
    assert_clean_merge(project)
    assert "you had changed" not in result.stderr  # Express's files, unedited, just went
    assert framework in package_json(project)["dependencies"]
    assert "express" not in package_json(project)["dependencies"]


def test_switching_framework_conflicts_where_the_framework_code_was_edited(releases, tmp_path):
    """Edits to the framework's own files must be ported by hand. Where the new
    framework's file changed the same lines (src/app.js), the file holds both,
    marked. A route added at the end of a route module merges as text: it arrives
    in Koa's module in Express's form, unmarked, to be rewritten."""
    project = generate(releases, tmp_path / "app", NEXT)
    app = project / "src" / "app.js"
    replace_once(app, "import express from 'express';\n",
                 "import express from 'express';\nimport helmet from 'helmet';\n")
    make_user_edits(project, [add_a_route])
    commit_all(project, "Our work")

    update(project, "--data", "framework=koa")
    assert unmerged(project) == ["src/app.js"]
    assert {line.split(":")[0] for line in conflict_markers(project)} == {"src/app.js"}
    text = app.read_text()
    assert "import helmet from 'helmet';" in text and "from 'koa'" in text
    routes = (project / "src" / "http" / "routes" / "accounts.js").read_text()
    assert "from '@koa/router'" in routes and USER_EXPRESS_ROUTE in routes


# --- Trying unreleased changes, and later releases -------------------------------------


def test_vcs_ref_tries_unreleased_changes(releases, tmp_path):
    template = clone(releases, tmp_path / "template")
    project = generate(template, tmp_path / "app", NEXT)
    make_user_edits(project, [add_a_route])
    commit_all(project, "Our route")

    env_example = template / "template" / ".env.example.jinja"
    env_example.write_text(env_example.read_text() + "# Unreleased: next version's setting\n")
    commit_all(template, "Work in progress on main")

    # Not released: check-update sees nothing new, a plain update keeps the version.
    assert json.loads(copier("check-update", "--output-format", "json", cwd=project).stdout)[
        "update_available"] is False
    # --vcs-ref picks the unreleased commit; git reset --hard undoes it before committing.
    update(project, "--vcs-ref", "main")
    assert "# Unreleased" in (project / ".env.example").read_text()
    assert answers_of(project)["_commit"].startswith(f"v{NEXT}-1-g")
    assert has_our_route(project)
    git(project, "reset", "--quiet", "--hard")
    assert answers_of(project)["_commit"] == f"v{NEXT}"
    assert git(project, "status", "--porcelain") == ""

    # Committed, the project stays on that commit: Copier does not go back to the release.
    update(project, "--vcs-ref", "main")
    commit_all(project, "Try main")
    refused = update(project, check=False)
    assert refused.returncode != 0 and "Downgrades are not supported" in refused.stderr

    # Once released, the plain update takes it.
    release(template, AFTER_NEXT)
    update(project)
    assert answers_of(project)["_commit"] == f"v{AFTER_NEXT}"
    assert "# Unreleased" in (project / ".env.example").read_text()
    assert has_our_route(project)


# --- The 0.2.0 migration ---------------------------------------------------------------


def test_migration_runs_only_when_crossing_its_version(releases, tmp_path):
    """From NEXT to the release after it the 0.2.0 migration stays quiet, even with a pinned .env."""
    template = clone(releases, tmp_path / "template")
    project = generate(template, tmp_path / "app", NEXT)
    (project / ".env").write_text("PORT=3000\n")
    release(template, AFTER_NEXT,
            lambda repo: (repo / "template" / ".nvmrc").write_text("lts/*\n"))
    result = update(project)
    assert answers_of(project)["_commit"] == f"v{AFTER_NEXT}"
    assert "Template 0.2.0" not in result.stderr


def run_migration(cwd, *args):
    return subprocess.run([sys.executable, str(MIGRATION), *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def test_migration_script_is_read_only_idempotent_and_safe(tmp_path):
    # No .env: nothing to say.
    assert run_migration(tmp_path, "3000", US, ".copier-answers.yml").stderr == ""
    # A .env with every kind of line; outside git, so no previous answers.
    env = tmp_path / ".env"
    env.write_bytes(
        b"POSTHOG_PROJECT_TOKEN=phc_x\n# PORT=1\nexport PORT='4000' # ours\n"
        b"POSTHOG_HOST=\"https://eu.i.posthog.com\"\n\xff\xfe junk\n"
    )
    before = env.read_bytes()
    first = run_migration(tmp_path, "3000", US, ".copier-answers.yml")
    second = run_migration(tmp_path, "3000", US, ".copier-answers.yml")
    assert first.returncode == second.returncode == 0
    assert first.stderr == second.stderr
    assert env.read_bytes() == before
    assert "PORT=4000 overrides the project's default (3000)" in first.stderr
    assert "--data port=4000" in first.stderr
    assert f"--data posthog_host={EU}" in first.stderr
    assert "PORT=1" not in first.stderr
    # Never fails an update, even when called wrongly.
    assert run_migration(tmp_path).returncode == 0


def test_migration_is_declared_for_its_version():
    config = yaml.safe_load((ROOT / "copier.yml").read_text())
    [migration] = [m for m in config["_migrations"] if m.get("version") == "0.2.0"]
    assert "hooks/migrations/v0_2_0_env_defaults.py" in " ".join(migration["command"])
    assert "_stage == 'after'" in migration["when"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "\n## 0.2.0 (" in changelog and f"\n## {OLD} (" in changelog


def test_a_key_given_to_update_only_fills_a_missing_env(releases, tmp_path):
    """`--data posthog_project_token=...` on update writes .env only where there is none."""
    project = generate(releases, tmp_path / "app", NEXT)
    update(project, "--data", f"posthog_project_token={TOKEN}")
    env = project / ".env"
    assert f"POSTHOG_PROJECT_TOKEN={TOKEN}\n" in env.read_text()
    assert git(project, "status", "--porcelain") == ""  # ignored, nothing else changed
    assert TOKEN not in (project / ".copier-answers.yml").read_text()

    before = env.read_bytes()
    update(project, "--data", "posthog_project_token=phc_another")
    assert env.read_bytes() == before


# --- The release tags ------------------------------------------------------------------


def test_every_released_version_in_the_changelog_is_a_recorded_release():
    """`## X.Y.Z (date)` in CHANGELOG.md means a release vX.Y.Z this clone can rebuild."""
    assert OLD in RELEASED and "0.2.0" in RELEASED
    require_releases()  # fails, saying to fetch, in a clone with neither tags nor history
    recorded = recorded_commits()
    assert set(recorded) <= {f"v{v}" for v in RELEASED}, (
        f"{RELEASE_COMMITS.name} lists a version that CHANGELOG.md does not call released")
    # Only the release commit itself (tagged, its line not yet added) may lack its line.
    assert [v for v in RELEASED[:-1] if f"v{v}" not in recorded] == [], (
        f"add each release's line to {RELEASE_COMMITS.name}")
    for version in RELEASED:
        # The release's commit is on main, and its CHANGELOG (from 0.2.0 on) has the release.
        found = release_commit(version)
        git(ROOT, "merge-base", "--is-ancestor", found, "HEAD")
        if version != OLD:
            changelog = git(ROOT, "show", f"{found}:CHANGELOG.md")
            assert re.search(rf"^## {re.escape(version)} \(\d{{4}}-\d{{2}}-\d{{2}}\)$", changelog, re.M)


def test_every_release_tag_present_is_annotated_and_recorded():
    """Where the tags came with the clone, each is annotated and at its recorded commit."""
    recorded = recorded_commits()
    tags = [t for t in git(ROOT, "tag", "--list", "v*").split() if re.fullmatch(r"v\d+\.\d+\.\d+", t)]
    for tag in tags:
        assert tag[1:] in RELEASED, f"{tag} has no CHANGELOG heading"
        kind = git(ROOT, "cat-file", "-t", f"refs/tags/{tag}").strip()
        assert kind == "tag", f"{tag} is a lightweight tag: releases are annotated tags"
        if tag in recorded:
            assert tag_commit(tag[1:]) == recorded[tag], f"{tag} is not at the commit recorded for it"
        else:  # only the newest release, right after tagging
            assert tag[1:] == RELEASED[-1], f"{tag} has no line in {RELEASE_COMMITS.name}"


def test_a_missing_release_fails_and_says_to_fetch():
    assert missing_releases(["99.0.0"]) == ["v99.0.0"]
    with pytest.raises(AssertionError, match=r"v99\.0\.0 missing.*Fetch them: git fetch --tags"):
        require_releases(["99.0.0"])
    assert "git fetch --unshallow --tags" in FETCH_TAGS


# --- Switching language ------------------------------------------------------------------

def sources_of(project, extension):
    return sorted(p.relative_to(project).as_posix() for top in ("src", "test", "scripts")
                  for p in (project / top).rglob(f"*{extension}"))


@pytest.mark.parametrize(("old", "new"), [("javascript", "typescript"), ("typescript", "javascript")])
def test_switching_language_replaces_the_sources(releases, tmp_path, old, new):
    """An unedited project switches completely: it is then what a fresh project in
    the new language would be, with the user's own files kept as they are."""
    project = generate(releases, tmp_path / "app", NEXT, language=old, project_name="app")
    old_ext, new_ext = (".js", ".ts") if old == "javascript" else (".ts", ".js")
    (project / "src" / f"mine{old_ext}").write_text("export const mine = 1;\n")
    commit_all(project, "Our own module")

    result = update(project, "--data", f"language={new}")
    assert f"Your own {old_ext} files stay as they are: src/mine{old_ext}" in result.stderr

    expected = render_like(releases, tmp_path / "expected", project, language=new, project_name="app")
    (expected / "src" / f"mine{old_ext}").write_text("export const mine = 1;\n")
    assert differences(project, expected) == []
    assert_clean_merge(project)
    assert answers_of(project)["language"] == new
    left = [rel for rel in sources_of(project, old_ext) if rel not in ("scripts/check-node.js", f"src/mine{old_ext}")]
    assert left == []
    assert f"src/server{new_ext}" in sources_of(project, new_ext)


def test_switching_language_stops_before_dropping_an_edit(releases, tmp_path):
    project = generate(releases, tmp_path / "app", NEXT, project_name="app")
    add_a_route(project)
    commit_all(project, "Our route")
    head = git(project, "rev-parse", "HEAD")

    result = update(project, "--data", "language=typescript", check=False)
    assert result.returncode != 0
    assert "Stopped before switching language from javascript to typescript: nothing changed." in result.stderr
    assert "  src/http/routes/accounts.js\n" in result.stderr
    # Nothing changed: same commit, clean tree, still JavaScript.
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""
    assert answers_of(project)["language"] == "javascript"


def test_switching_language_anyway_keeps_the_edited_file_to_port(releases, tmp_path, monkeypatch):
    project = generate(releases, tmp_path / "app", NEXT, project_name="app")
    add_a_route(project)
    commit_all(project, "Our route")
    monkeypatch.setenv("LANGUAGE_SWITCH_ANYWAY", "1")

    result = update(project, "--data", "language=typescript")
    assert ("Kept your changed files of the old language next to their new form, so nothing is "
            "lost: src/http/routes/accounts.js. Port the changes") in result.stderr
    assert "moved their code" not in result.stderr
    routes = project / "src" / "http" / "routes"
    assert NEW_ROUTE_MARK in (routes / "accounts.js").read_text()
    assert NEW_ROUTE_MARK not in (routes / "accounts.ts").read_text()
    assert not (routes / "todos.js").exists() and (routes / "todos.ts").exists()
    assert not (project / "src" / "server.js").exists() and (project / "src" / "server.ts").exists()
    assert answers_of(project)["language"] == "typescript"


def test_a_0_2_0_project_updates_and_stays_javascript_on_sqlite(releases, tmp_path):
    project = generate(releases, tmp_path / "app", IN_MEMORY, project_name="app")
    edit_an_event_property(project)
    commit_all(project, "Our property")

    result = update(project)
    recorded = answers_of(project)
    assert (recorded["language"], recorded["database"]) == ("javascript", "sqlite")
    assert sources_of(project, ".ts") == []
    assert "node:sqlite" in (project / "src" / "data" / "database.js").read_text()
    assert kept_message("src/analytics.js") in result.stderr
    assert PROPERTY_MARK in (project / "src" / "analytics.js").read_text()


def test_an_update_with_nothing_to_do_says_so_in_one_line(releases, tmp_path):
    project = generate(releases, tmp_path / "app", NEXT)
    result = update(project)
    summary = [line for line in result.stderr.splitlines() if "Nothing to update" in line]
    assert summary == [f'Nothing to update: "posthog-node-app" already has everything template {NEXT} brings.']
    assert "<<<<<<<" not in result.stderr and "npm install" not in result.stderr
    assert git(project, "status", "--porcelain") == ""


def test_a_real_update_says_what_is_left_to_do(releases, tmp_path):
    project = generate(releases, tmp_path / "app", PREVIOUS)
    replace_once(project / "package.json", '"private": true,', '"private": true,\n  "license": "UNLICENSED",')
    commit_all(project, "Our license")
    result = update(project)
    assert f'"posthog-node-app" is updated to template {NEXT}; nothing is committed yet' in result.stderr
    assert "npm install" in result.stderr and "git add -A && git commit" in result.stderr
    assert "Nothing to update" not in result.stderr
