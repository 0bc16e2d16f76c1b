"""Each question's validator: bad answers are refused with a message saying why
and how to fix it; good answers are accepted."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from copier import run_copy
from jinja2.sandbox import SandboxedEnvironment
from jinja2_ansible_filters import AnsibleCoreFiltersExtension

from helpers import ROOT, copier_error, package_json
from validators import VISIBLE, first_clause, suggestion, validate, visible_line

# --- project_name -----------------------------------------------------------

BAD_NAMES = [
    ("My-App", ["Lowercase only", "capital letters", "use 'my-app'"]),
    ("MYAPP", ["Lowercase only", "use 'myapp'"]),
    ("my app", ["No spaces", "use 'my-app'"]),
    ("My App!-", ["No spaces", "use 'my-app'"]),
    (" my-app", ["Spaces around it", "use 'my-app'"]),
    ("my-app ", ["Spaces around it", "use 'my-app'"]),
    ("a" * 215, ["Too long", "214 characters at most", "(it has 215)"]),
    (".hidden", ["cannot start with a dot or an underscore", "use 'hidden'"]),
    ("_private", ["cannot start with a dot or an underscore", "use 'private'"]),
    ("@acme/.hidden", ["cannot start with a dot or an underscore", "use '@acme/hidden'"]),
    ("-dash", ["Leading -", "use 'dash'"]),
    ("", ["Empty", "use 'my-app'"]),
    ("caf\u00e9", ["No \u00e9 allowed", "use 'caf'", "part of URLs"]),
    ("my$app", ["No $ allowed", "use 'my-app'"]),
    ("crazy!", ["No ! allowed", "use 'crazy'"]),
    ("my:app", ["No : allowed", "use 'my-app'"]),
    ("a/b", ["scoped form '@scope/name'", "use 'a-b'"]),
    ("@acme", ["scoped form '@scope/name'", "use 'acme'"]),
    ("@acme/", ["scoped form '@scope/name'", "use '@acme/app'"]),
    ("node_modules", ["Reserved by npm", "use 'node_modules-app'"]),
    ("favicon.ico", ["Reserved by npm", "use 'favicon.ico-app'"]),
    ("http", ["Node.js core module", "use 'http-app'"]),
    ("fs", ["Node.js core module", "use 'fs-app'"]),
]

GOOD_NAMES = [
    "posthog-node-app",
    "my-app",
    "app",
    "a",
    "123numeric",
    "under_score",
    "example.com",
    "x" * 214,
    "@acme/todo-api",
    "@acme-inc/todo.api_v2",
    "events-api",
]


@pytest.mark.parametrize("name,fragments", BAD_NAMES, ids=[repr(n[0])[:30] for n in BAD_NAMES])
def test_bad_project_name_refused(render, name, fragments):
    message = copier_error(render(project_name=name))
    assert "Validation error for question 'project_name'" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# Names people type, each wrong in one or several ways at once.
MORE_BAD_NAMES = [
    "My App!-", "  My  App  ", "Hello World", "_My_App_", ".Config", "--x--", "-", ".", "_",
    "!!!", "caf\u00e9 cr\u00e8me", "\u00e9", "my app/v2", "@My Org/My App", "@/x", "@acme/",
    "@acme/_x", "@_acme/x", "@@acme/x", "a//b", "a/b/c", "HTTP", "Node_Modules",
    "favicon.ico/", "x" * 300, "X" * 300, "My App " + "y" * 220, "tab\there", "a\nb",
    "emoji\U0001f600app", "100%", "q?x", "(paren)", "\"quoted\"", "it's",
]


@pytest.mark.parametrize("name", [n for n, _ in BAD_NAMES] + MORE_BAD_NAMES, ids=repr)
def test_each_name_message_shows_problem_and_fix_first_and_its_fix_is_valid(name):
    message = validate("project_name", name)
    assert message, f"{name!r} was accepted"
    seen = visible_line("project_name", message)
    assert first_clause(message) in seen, f"the problem is cut at 80 columns: {seen!r}"
    fix = suggestion(message)
    if fix is None:  # only where the fix is an instruction, not a value
        assert "Too long; shorten it" in seen, message
        return
    assert message.index(f"use '{fix}'") <= VISIBLE - len(f"use '{fix}'") or len(fix) > 40, message
    if len(fix) <= 10:  # a short name is whole on the line a terminal shows
        assert f"use '{fix}'" in seen, f"the fix is cut at 80 columns: {seen!r}"
    assert validate("project_name", fix) == "", f"suggested {fix!r} is refused: {message!r}"


@pytest.mark.parametrize("name", GOOD_NAMES, ids=[n[:30] for n in GOOD_NAMES])
def test_good_name_passes_the_direct_check(name):
    assert validate("project_name", name) == ""


@pytest.mark.parametrize("name", GOOD_NAMES, ids=[n[:30] for n in GOOD_NAMES])
def test_good_project_name_accepted(render, name):
    result = render(project_name=name)
    assert result.exit_code == 0, result.exception
    assert package_json(result.project_dir)["name"] == name


def _npm_validator() -> Path | None:
    """npm's own name validator, from the npm installation on PATH.

    Found from npm's real location, not `npm root -g`, which follows whichever
    node runs npm (the tests put a newer Node first on PATH).
    """
    npm = shutil.which("npm")
    if npm is None:
        return None
    for folder in Path(npm).resolve().parents:
        if (folder / "package.json").is_file():
            path = folder / "node_modules" / "validate-npm-package-name"
            return path if path.is_dir() else None
    return None


def test_name_rules_agree_with_npm(render):
    """Whatever we accept, npm's own validator accepts for a new package, and
    whatever npm refuses, we refuse."""
    validator = _npm_validator()
    if validator is None:
        pytest.skip("npm's validate-npm-package-name is not installed")
    names = [n for n, _ in BAD_NAMES] + GOOD_NAMES
    script = (
        f"const v = require({json.dumps(str(validator))});"
        "const names = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(names.map((n) => v(n).validForNewPackages)));"
    )
    verdicts = json.loads(
        subprocess.run(
            ["node", "-e", script], input=json.dumps(names), capture_output=True,
            text=True, check=True,
        ).stdout
    )
    npm_says = dict(zip(names, verdicts))
    for name in GOOD_NAMES:
        assert npm_says[name], f"we accept {name!r} but npm refuses it"
    for name, _ in BAD_NAMES:
        if not npm_says[name]:
            continue
        # The only names npm takes that we refuse: none.
        pytest.fail(f"we refuse {name!r}, which npm accepts for a new package")


# --- port -------------------------------------------------------------------


@pytest.mark.parametrize("port", [0, -1, 65536, 70000])
def test_bad_port_refused(render, port):
    message = copier_error(render(port=port))
    assert "Validation error for question 'port'" in message
    assert f"Port {port} out of range; use 3000" in message
    assert "1 to 65535" in message
    assert validate("port", port).index("use 3000") < VISIBLE


@pytest.mark.parametrize("port", [1, 80, 3000, 65535])
def test_good_port_accepted(render, port):
    result = render(port=port)
    assert result.exit_code == 0, result.exception
    assert package_json(result.project_dir)["config"]["port"] == port


def test_port_must_be_a_number(render):
    assert copier_error(render(port="http")) != ""


# --- posthog_custom_host ----------------------------------------------------

BAD_HOSTS = [
    ("", ["Required", "https://posthog.example.com"]),
    ("https://ph.example.com?x=1", ["Drop the ?query/#fragment", "use 'https://ph.example.com'"]),
    ("https://ph.example.com/ingest/?x=1", ["Drop the ?query", "use 'https://ph.example.com/ingest'"]),
    ("https://ph.example.com#top", ["Drop the ?query/#fragment", "use 'https://ph.example.com'"]),
    ("ftp://ph.example.com", ["Start with https://", "use 'https://ph.example.com'"]),
    ("ph.example.com", ["Start with https://", "use 'https://ph.example.com'"]),
    ("HTTPS://ph.example.com", ["Start with https://", "use 'https://ph.example.com'"]),
    ("http://ph.example.com", ["Use https://, not http://", "use 'https://ph.example.com'"]),
    ("http://ph.example.com/ingest", ["Use https://, not http://", "use 'https://ph.example.com/ingest'"]),
    ("http://10.0.0.5:8000", ["Use https://, not http://", "use 'https://10.0.0.5:8000'"]),
    ("http://localhost.evil.com", ["Use https://, not http://", "unencrypted"]),
    ("https://ph.example.com x", ["Remove the spaces"]),
    (" https://ph.example.com", ["Remove the spaces", "use 'https://ph.example.com'"]),
    ("https://user:pw@ph.example.com", ["Drop the user:password@", "use 'https://ph.example.com'"]),
    ("https://ph.example.com:99999", ["out of range", "use 'https://ph.example.com'"]),
    ("https://ph.example.com:0", ["out of range"]),
    ("https://ph.example.com/a<b>", ["Bad characters in the path", "use 'https://ph.example.com/ab'"]),
    ("https://ph_example.com", ["Bad host name"]),
    ("https://", ["Bad host name"]),
    ("https://ph.example.com:", ["Bad host name"]),
    ("https://-ph.example.com", ["Bad host name"]),
]

GOOD_HOSTS = [
    "https://posthog.example.com",
    "https://ph.example.com:8443",
    "https://PostHog.Example.com",
    "https://10.0.0.5",
    "https://[2001:db8::1]:8443",
    "http://localhost",
    "http://localhost:8000",
    "http://127.0.0.1:8010",
    "http://127.1.2.3",
    "http://[::1]:8000",
    # Path-prefix reverse proxies, which posthog-node supports.
    "https://example.com/ingest",
    "https://example.com/a/b-c_d.e~f",
    "http://localhost:8010/relay",
]


@pytest.mark.parametrize("host,fragments", BAD_HOSTS, ids=[h[0] or "empty" for h in BAD_HOSTS])
def test_bad_custom_host_refused(render, host, fragments):
    message = copier_error(render(posthog_host="custom", posthog_custom_host=host))
    assert "Validation error for question 'posthog_custom_host'" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("host", [h for h, _ in BAD_HOSTS], ids=repr)
def test_each_host_message_shows_problem_and_fix_first_and_its_fix_is_valid(host):
    message = validate("posthog_custom_host", host)
    seen = visible_line("posthog_custom_host", message)
    # The problem, said as what to do ("Drop the ?query/#fragment"), shows at 80 columns.
    assert first_clause(message) in seen, f"cut at 80 columns: {seen!r}"
    fix = suggestion(message)
    if fix is None:  # a host name cannot be guessed: the message gives an example
        assert "posthog.example.com" in message[:VISIBLE], message
        return
    assert message.index(f"use '{fix}'") <= VISIBLE - 6, message
    assert validate("posthog_custom_host", fix) == "", f"suggested {fix!r} is refused"


@pytest.mark.parametrize("question, value", [
    ("port", 0), ("port", 70000), ("posthog_project_token", "phx_x"),
    ("posthog_project_token", "phc_a b"), ("posthog_project_token", "phc_'x'"),
])
def test_other_messages_show_their_problem_at_80_columns(question, value):
    message = validate(question, value)
    assert message and first_clause(message) in visible_line(question, message), message


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_good_custom_host_accepted(render, host):
    result = render(posthog_host="custom", posthog_custom_host=host)
    assert result.exit_code == 0, result.exception
    assert package_json(result.project_dir)["config"]["posthogHost"] == host


@pytest.mark.parametrize("host", ["https://example.com/ingest/", "https://example.com/ingest//",
                                  "https://ph.example.com/"])
def test_a_trailing_slash_is_dropped(render, host):
    result = render(posthog_host="custom", posthog_custom_host=host)
    assert result.exit_code == 0, result.exception
    url = host.rstrip("/")
    project = result.project_dir
    assert package_json(project)["config"]["posthogHost"] == url
    assert f"# POSTHOG_HOST={url}\n" in (project / ".env.example").read_text()
    assert f"`{url}`" in (project / "README.md").read_text()
    assert "posthog_host_url" not in (project / ".copier-answers.yml").read_text()


def test_custom_host_required_with_defaults(render):
    """`--defaults` with `custom` and no URL is refused: there is no default host."""
    message = copier_error(render(posthog_host="custom"))
    assert 'Question "posthog_custom_host" is required' in message


# --- posthog_proxy_path (never asked; drawn, or given with --data) -----------

BAD_PROXY_PATHS = [
    ("/ingest", ["Blockers drop such paths", "use '/r7kx2mqd'"]),
    ("/e/Analytics", ["Blockers drop such paths"]),
    ("/posthog", ["Blockers drop such paths"]),
    ("/tracking-pixel", ["Blockers drop such paths"]),
    ("relay", ["Not a path", "use '/relay'"]),
    ("/relay/", ["Not a path", "use '/relay'"]),
    ("/re lay", ["Not a path", "use '/relay'"]),
    ("/", ["Not a path", "use '/r7kx2mqd'"]),
    ("/a/../b", ["Not a path", "use '/a/b'"]),
    ("/api", ["The app uses that path", "use '/r7kx2mqd'"]),
    ("/vendor/x", ["The app uses that path"]),
    ("/health", ["The app uses that path"]),
]
GOOD_PROXY_PATHS = ["/r7kx2mqd", "/relay", "/a/b-c_d.e~f", "/Mixed2"]


@pytest.mark.parametrize("path,fragments", BAD_PROXY_PATHS, ids=[p for p, _ in BAD_PROXY_PATHS])
def test_bad_proxy_path_refused(render, path, fragments):
    message = copier_error(render(posthog_proxy_path=path))
    assert "Validation error for question 'posthog_proxy_path'" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("path", [p for p, _ in BAD_PROXY_PATHS], ids=repr)
def test_each_proxy_path_message_shows_problem_and_fix_first_and_its_fix_is_valid(path):
    message = validate("posthog_proxy_path", path)
    assert first_clause(message) in visible_line("posthog_proxy_path", message), message
    fix = suggestion(message)
    assert fix and message.index(f"use '{fix}'") <= VISIBLE - 6, message
    assert validate("posthog_proxy_path", fix) == "", f"suggested {fix!r} is refused"


@pytest.mark.parametrize("path", GOOD_PROXY_PATHS)
def test_good_proxy_path_accepted(render, path):
    result = render(posthog_proxy_path=path)
    assert result.exit_code == 0, result.exception
    assert package_json(result.project_dir)["config"]["posthogProxyPath"] == path


def test_drawn_proxy_paths_pass_their_own_check():
    """The default is drawn from letters without vowels and digits: it can never spell a
    word blockers look for, and always passes the validator."""
    default = yaml.safe_load((ROOT / "copier.yml").read_text())["posthog_proxy_path"]["default"]
    env = SandboxedEnvironment(extensions=[AnsibleCoreFiltersExtension])
    for _ in range(200):
        path = env.from_string(default).render()
        assert re.fullmatch(r"/[a-z][a-z0-9]{7}", path), path
        assert validate("posthog_proxy_path", path) == "", path


# --- posthog_project_token --------------------------------------------------


@pytest.mark.parametrize(
    "token,fragment",
    [
        ("phx_personalkey", "Personal key (phx_)"),
        ("phc_abc def", "Spaces in the key"),
        ("phc_abc\n", "without spaces or line breaks"),
        ('phc_"abc"', "Has quotes"),
    ],
)
def test_bad_token_refused_as_data(template, tmp_path, token, fragment):
    # Secret answers given as --data are validated (pytest-copie passes answers as
    # defaults, which Copier does not validate for secrets).
    with pytest.raises(ValueError) as error:
        run_copy(
            str(template), tmp_path / "p", data={"posthog_project_token": token},
            defaults=True, unsafe=True, vcs_ref="HEAD", quiet=True,
        )
    assert "posthog_project_token" in str(error.value)
    assert fragment in str(error.value)


# --- the same rules through --data (what automation uses) ------------------


def test_data_answers_are_validated(template, tmp_path):
    with pytest.raises(ValueError, match="capital letters"):
        run_copy(
            str(template), tmp_path / "p", data={"project_name": "MyApp"},
            defaults=True, unsafe=True, vcs_ref="HEAD", quiet=True,
        )
    with pytest.raises(ValueError, match="out of range"):
        run_copy(
            str(template), tmp_path / "q", data={"port": 70000},
            defaults=True, unsafe=True, vcs_ref="HEAD", quiet=True,
        )
