"""Each question's validator: bad answers are refused with a message saying why
and how to fix it; good answers are accepted."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from copier import run_copy

from helpers import copier_error, package_json

# --- project_name -----------------------------------------------------------

BAD_NAMES = [
    ("My-App", ["capital letters", "lowercase", "'my-app'"]),
    ("MYAPP", ["capital letters", "'myapp'"]),
    ("my app", ["contains spaces", "Use hyphens", "'my-app'"]),
    (" my-app", ["starts or ends with a space"]),
    ("my-app ", ["starts or ends with a space"]),
    ("a" * 215, ["215 characters", "at most 214"]),
    (".hidden", ["cannot start with a dot or an underscore"]),
    ("_private", ["cannot start with a dot or an underscore"]),
    ("@acme/.hidden", ["cannot start with a dot or an underscore"]),
    ("-dash", ["starts with a hyphen"]),
    ("", ["empty"]),
    ("caf\u00e9", ["characters npm refuses", "\u00e9", "part of URLs"]),
    ("my$app", ["characters npm refuses", "$"]),
    ("crazy!", ["characters npm refuses", "!"]),
    ("my:app", ["characters npm refuses", ":"]),
    ("a/b", ["scoped form '@scope/name'"]),
    ("@acme", ["scoped form '@scope/name'"]),
    ("@acme/", ["scoped form '@scope/name'"]),
    ("node_modules", ["npm reserves"]),
    ("favicon.ico", ["npm reserves"]),
    ("http", ["Node.js core module", "'http-app'"]),
    ("fs", ["Node.js core module"]),
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


@pytest.mark.parametrize("name", GOOD_NAMES, ids=[n[:30] for n in GOOD_NAMES])
def test_good_project_name_accepted(render, name):
    result = render(project_name=name)
    assert result.exit_code == 0, result.exception
    assert package_json(result.project_dir)["name"] == name


def _npm_validator() -> Path | None:
    npm = shutil.which("npm")
    if npm is None:
        return None
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True).stdout.strip()
    path = Path(root) / "npm" / "node_modules" / "validate-npm-package-name"
    return path if path.is_dir() else None


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
    assert f"Port {port} is out of range" in message
    assert "1 to 65535" in message


@pytest.mark.parametrize("port", [1, 80, 3000, 65535])
def test_good_port_accepted(render, port):
    result = render(port=port)
    assert result.exit_code == 0, result.exception
    assert package_json(result.project_dir)["config"]["port"] == port


def test_port_must_be_a_number(render):
    assert copier_error(render(port="http")) != ""


# --- posthog_custom_host ----------------------------------------------------

BAD_HOSTS = [
    ("", ["A URL is required", "https://posthog.example.com"]),
    ("https://ph.example.com/ingest", ["path, query or fragment", "use https://ph.example.com"]),
    ("https://ph.example.com/", ["path, query or fragment", "use https://ph.example.com"]),
    ("https://ph.example.com?x=1", ["path, query or fragment", "use https://ph.example.com"]),
    ("https://ph.example.com#top", ["path, query or fragment"]),
    ("ftp://ph.example.com", ["must start with https://", "https://ph.example.com"]),
    ("ph.example.com", ["must start with https://", "https://ph.example.com"]),
    ("HTTPS://ph.example.com", ["must start with https://"]),
    ("http://ph.example.com", ["plain http://", "unencrypted", "Use https://ph.example.com"]),
    ("http://10.0.0.5:8000", ["plain http://", "Use https://10.0.0.5:8000"]),
    ("http://localhost.evil.com", ["plain http://"]),
    ("https://ph.example.com x", ["contains spaces"]),
    (" https://ph.example.com", ["contains spaces"]),
    ("https://user:pw@ph.example.com", ["user name or password", "use https://ph.example.com"]),
    ("https://ph.example.com:99999", ["out of range"]),
    ("https://ph.example.com:0", ["out of range"]),
    ("https://ph_example.com", ["not a valid host name"]),
    ("https://", ["not a valid host name"]),
    ("https://ph.example.com:", ["not a valid host name"]),
    ("https://-ph.example.com", ["not a valid host name"]),
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
]


@pytest.mark.parametrize("host,fragments", BAD_HOSTS, ids=[h[0] or "empty" for h in BAD_HOSTS])
def test_bad_custom_host_refused(render, host, fragments):
    message = copier_error(render(posthog_host="custom", posthog_custom_host=host))
    assert "Validation error for question 'posthog_custom_host'" in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_good_custom_host_accepted(render, host):
    result = render(posthog_host="custom", posthog_custom_host=host)
    assert result.exit_code == 0, result.exception
    assert package_json(result.project_dir)["config"]["posthogHost"] == host


def test_custom_host_required_with_defaults(render):
    """`--defaults` with `custom` and no URL is refused: there is no default host."""
    message = copier_error(render(posthog_host="custom"))
    assert 'Question "posthog_custom_host" is required' in message


# --- posthog_project_token --------------------------------------------------


@pytest.mark.parametrize(
    "token,fragment",
    [
        ("phx_personalkey", "personal API key"),
        ("phc_abc def", "spaces or line breaks"),
        ("phc_abc\n", "spaces or line breaks"),
        ('phc_"abc"', "quotes"),
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
