"""The browser page (`frontend` question) in a real browser, for every framework.

Debian's chromium, headless, driven by Playwright (never a browser download):
the page loads, a visitor signs up, adds and completes todos, logs out and
logs in again. The project's own capture sink stands in for PostHog, and shows
that posthog-js in the browser and posthog-node in the server tell one story:
the same `$session_id` on both sides, the server's `$identify` merging the
browser's anonymous id (`$anon_distinct_id`), and the server's later events
under the user id the browser identified with.

The browser is blocked from PostHog's host, as an ad blocker would block it:
posthog-js reaches PostHog only through the server's relay (POSTHOG_PROXY_PATH),
and every event it sends still arrives, with the browser's own address. The
page's Content-Security-Policy blocks nothing while it is used.

Slow (npm install). `UPDATE_SCREENSHOT=1` also saves the page, as the Express
run sees it, to docs/screenshot.png for the README (`make screenshot`).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from helpers import FRAMEWORKS, ROOT, package_json
from test_full_cycle import Server, npm, npm_env  # noqa: F401 (npm_env is a fixture)

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # posthog-js drops the events of browsers that say they are automated
    # (navigator.webdriver) or headless (the user agent, see new_page).
    "--disable-blink-features=AutomationControlled",
]
SCREENSHOT = ROOT / "docs" / "screenshot.png"
EVENT_TIMEOUT = 20
PROJECT_TOKEN = "phc_browser_test"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        message = f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


class CaptureSink:
    """The generated project's `scripts/capture-sink.js --json`: one event per stdout line."""

    def __init__(self, project: Path, env: dict):
        self.process = subprocess.Popen(
            ["node", "scripts/capture-sink.js", "--port", "0", "--json"], cwd=project, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
        )
        self.events: list[dict] = []
        self._changed = threading.Condition()
        self._log: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read_events, daemon=True).start()
        threading.Thread(target=self._read_log, daemon=True).start()
        self.url = self._wait_for_url()

    def _read_events(self):
        for line in self.process.stdout:
            with self._changed:
                self.events.append(json.loads(line))
                self._changed.notify_all()

    def _read_log(self):
        for line in self.process.stderr:
            self._log.put(line)
        self._log.put(None)

    def _wait_for_url(self) -> str:
        lines = []
        while True:
            line = self._log.get(timeout=15)
            if line is None:
                raise AssertionError(f"capture sink exited:\n{''.join(lines)}")
            lines.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                return match.group(1)

    def wait_for(self, description: str, predicate, count: int = 1) -> list[dict]:
        """The matching events once `count` of them have arrived; fails after EVENT_TIMEOUT s."""
        deadline = time.monotonic() + EVENT_TIMEOUT
        with self._changed:
            while True:
                found = [event for event in self.events if predicate(event)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = ", ".join(f"{e['event']} ({lib(e)})" for e in self.events) or "nothing"
                    raise AssertionError(f"no {count} x {description} within {EVENT_TIMEOUT}s; received: {seen}")
                self._changed.wait(left)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def lib(event: dict) -> str:
    return event.get("properties", {}).get("$lib", "?")


def from_browser(name: str):
    return lambda event: event["event"] == name and lib(event) == "web"


def from_server(name: str):
    return lambda event: event["event"] == name and lib(event) == "posthog-node"


def props(event: dict) -> dict:
    return event["properties"]


def wait_visible(page, selector: str):
    page.locator(selector).wait_for(state="visible")


def sign_up(page, email: str, name: str):
    page.fill("#signup-form [name=email]", email)
    page.fill("#signup-form [name=password]", PASSWORD)
    page.fill("#signup-form [name=name]", name)
    with page.expect_response("**/api/auth/signup") as response:
        page.click("#signup-form button[type=submit]")
    wait_visible(page, "#todos")
    return response.value


def log_in(page, email: str):
    page.click("#login-tab")
    page.fill("#login-form [name=email]", email)
    page.fill("#login-form [name=password]", PASSWORD)
    with page.expect_response("**/api/auth/login") as response:
        page.click("#login-form button[type=submit]")
    wait_visible(page, "#todos")
    return response.value


def add_todo(page, title: str):
    count = page.locator("#todo-list li").count()
    page.fill("#todo-form [name=title]", title)
    page.click("#todo-form button[type=submit]")
    page.locator("#todo-list li").nth(count).wait_for()


def posthog_ids(page) -> tuple[str, str]:
    return tuple(page.evaluate("[window.posthog.get_distinct_id(), window.posthog.get_session_id()]"))


def assert_tracing_headers(response, distinct_id: str, session_id: str):
    headers = response.request.all_headers()
    assert headers.get("x-posthog-distinct-id") == distinct_id, headers
    assert headers.get("x-posthog-session-id") == session_id, headers


@pytest.fixture
def browser(chromium):
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Collects what the page's Content-Security-Policy blocks, from before any script runs.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
});
"""


def new_page(browser, blocked_hosts=()):
    """A page, and the errors it reports: uncaught exceptions, and console messages about
    the Content-Security-Policy. Requests to `blocked_hosts` fail, as an ad blocker fails them."""
    # The same Chrome under its everyday name: "HeadlessChrome" counts as a bot.
    user_agent = browser.new_page().evaluate("navigator.userAgent").replace("HeadlessChrome", "Chrome")
    context = browser.new_context(
        viewport={"width": 760, "height": 600}, device_scale_factor=2, user_agent=user_agent,
    )
    for host in blocked_hosts:
        context.route(re.compile(rf"^https?://{re.escape(host)}(/|$)"), lambda route: route.abort("blockedbyclient"))
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    return page, errors


def csp_violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def assert_strict_csp(response):
    """The page's own policy: scripts and connections to this origin only."""
    policy = {
        name: sources
        for name, *sources in (directive.split() for directive in response.headers["content-security-policy"].split(";"))
    }
    assert policy["script-src"] == ["'self'"], policy
    assert policy["connect-src"] == ["'self'"], policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get("referrer-policy"), response.headers


def sent_events(request) -> list[dict]:
    """The events in one of posthog-js's capture requests, decoded as PostHog decodes them."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)
    body = request.post_data_buffer or b""
    if "gzip" in query.get("compression", [""])[0] or body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    text = body.decode()
    if "x-www-form-urlencoded" in (request.headers.get("content-type") or ""):
        text = urllib.parse.parse_qs(text)["data"][0]
    if not text.lstrip().startswith(("{", "[")):
        text = base64.b64decode(text).decode()
    data = json.loads(text)
    events = data.get("batch", [data]) if isinstance(data, dict) else data
    return [event for event in events if isinstance(event, dict)]


# --- What the question generates (fast) --------------------------------------

# src/domain/page.js ships either way: it finds public/ when the project has one.
FRONTEND_FILES = ["public/index.html", "public/app.js", "public/style.css", "test/frontend.test.js",
                  "test/relay.test.js"]
STATIC_HANDLERS = {"express": [], "fastify": ["@fastify/static"], "koa": ["koa-mount", "koa-static"]}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_frontend_by_default(render, framework):
    result = render(framework=framework)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    for name in FRONTEND_FILES:
        assert (project / name).is_file(), f"{name} missing"
    dependencies = package_json(project)["dependencies"]
    for name in ["posthog-js", *STATIC_HANDLERS[framework]]:
        assert name in dependencies, f"{name} missing from dependencies"
    # The framework's own static handler serves public/ (src/domain/page.js finds it).
    assert any("page.publicDir" in path.read_text() for path in (project / "src").rglob("*.js"))
    assert "<title>posthog-node-app</title>" in (project / "public" / "index.html").read_text()
    if framework == "fastify":
        assert "@fastify/http-proxy" in dependencies

    # The relay's path, drawn for this project and kept in its answers: never /ingest
    # or a word blockers look for, and said where a user looks for it.
    relay = package_json(project)["config"]["posthogProxyPath"]
    assert re.fullmatch(r"/[a-z0-9]{8}", relay) and not re.search(r"[aeiou]", relay), relay
    assert f"posthog_proxy_path: {relay}" in (project / ".copier-answers.yml").read_text()
    assert f"# POSTHOG_PROXY_PATH={relay}\n" in (project / ".env.example").read_text()
    assert f"`{relay}`" in (project / "README.md").read_text()
    other = render(framework=framework, project_name="other-app").project_dir
    assert package_json(other)["config"]["posthogProxyPath"] != relay, "each project draws its own"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_no_frontend_generates_none_of_it(render, framework):
    result = render(framework=framework, frontend=False)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    assert not (project / "public").exists()
    for name in FRONTEND_FILES:
        assert not (project / name).exists(), f"{name} generated without the frontend"
    pkg = package_json(project)
    assert "posthog-js" not in pkg["dependencies"]
    assert "allowScripts" not in pkg
    # No relay either: no path for it, nothing about it to configure.
    assert "posthogProxyPath" not in pkg["config"]
    assert "posthog_proxy_path" not in (project / ".copier-answers.yml").read_text()
    for name in [".env.example", "README.md"]:
        assert "POSTHOG_PROXY_PATH" not in (project / name).read_text(), name
    # The app is the same file with or without the page: it serves the page only
    # when src/domain/page.js finds public/, which it does not here.
    assert (project / "src" / "app.js").read_text() == (
        render(framework=framework, project_name="with-page").project_dir / "src" / "app.js").read_text()


# --- In a real browser (slow) -------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_browser_and_server_share_person_and_session(render, npm_env, browser, framework, tmp_path):
    result = render(framework=framework)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    npm(project, npm_env, "install", "--no-audit", "--no-fund")

    relay = package_json(project)["config"]["posthogProxyPath"]
    sink = CaptureSink(project, npm_env)
    server = Server(project, {**npm_env, "POSTHOG_HOST": sink.url, "POSTHOG_PROJECT_TOKEN": PROJECT_TOKEN})
    try:
        line = server.wait_for("listening on http://")
        base = line.split("listening on ", 1)[1].split()[0].rstrip("/")
        # PostHog (here the sink) is blocked, as ad blockers block PostHog's domains.
        sink_host = urllib.parse.urlsplit(sink.url).netloc
        page, page_errors = new_page(browser, blocked_hosts=[sink_host, "us.i.posthog.com",
                                                             "us-assets.i.posthog.com", "us.posthog.com"])
        # Every request the page makes, and the events in what it sends through the relay.
        requested, relayed_events, relay_answers = [], [], []
        page.on("request", lambda request: requested.append(request.url))
        page.on("request", lambda request: relayed_events.extend(sent_events(request))
                if re.search(rf"{re.escape(relay)}/(e|i/v0/e)/", request.url) else None)
        page.on("response", lambda response: relay_answers.append((response.status, response.url))
                if f"{base}{relay}/" in response.url else None)

        # The page loads with its strict policy, and posthog-js starts with the
        # server's token, sending through the relay.
        response = page.goto(f"{base}/")
        assert_strict_csp(response)
        wait_visible(page, "#signup-form")
        assert page.title() == "posthog-node-app"
        assert page.evaluate("window.posthog.config.api_host").endswith(relay)
        anonymous_id, session_id = posthog_ids(page)
        pageview = sink.wait_for("browser $pageview", from_browser("$pageview"))[0]
        assert pageview["distinct_id"] == anonymous_id
        assert props(pageview)["$session_id"] == session_id
        assert pageview["api_key"] == PROJECT_TOKEN

        # Signup carries the browser's anonymous id and session to the server.
        response = sign_up(page, "ada@example.com", "Ada Lovelace")
        assert response.status == 201
        assert_tracing_headers(response, anonymous_id, session_id)
        user_id = response.json()["user"]["id"]
        assert posthog_ids(page) == (user_id, session_id), "the page identifies as the server's user id"

        add_todo(page, "Write the launch post")
        add_todo(page, "Invite the team to PostHog")
        add_todo(page, "Ship the signup flow")
        with page.expect_response(re.compile(r"/api/todos/[^/]+$")) as completed:
            page.locator("#todo-list li input[type=checkbox]").last.check()
        assert completed.value.status == 200
        assert_tracing_headers(completed.value, user_id, session_id)
        page.locator("#todo-list li.done").wait_for()
        page.click("#stats-button")
        page.locator("#stats", has_text="3 todos: 1 done, 2 open").wait_for()
        shot = tmp_path / "screenshot.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("UPDATE_SCREENSHOT") and framework == "express":
            SCREENSHOT.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, SCREENSHOT)

        # Logging out ends the session on the server first, still as the user in the
        # first session, then starts a new anonymous visitor; logging in merges that one too.
        with page.expect_response(re.compile(r"/api/auth/logout$")) as logged_out:
            page.click("#logout")
        assert logged_out.value.status == 204
        assert_tracing_headers(logged_out.value, user_id, session_id)
        wait_visible(page, "#auth")
        second_anonymous_id, second_session_id = posthog_ids(page)
        assert second_anonymous_id not in (anonymous_id, user_id)
        response = log_in(page, "ada@example.com")
        assert response.status == 200
        assert_tracing_headers(response, second_anonymous_id, second_session_id)
        # The page asks for the todos once the login has answered: wait for the third.
        page.locator("#todo-list li").nth(2).wait_for()
        assert page.locator("#todo-list li").count() == 3, "login shows the user's todos"

        browser_identifies = sink.wait_for("browser $identify", from_browser("$identify"), count=2)
        assert page_errors == [], page_errors
        assert csp_violations(page) == []

        # Every event the page sent reached PostHog through the relay, carrying the
        # browser's address (X-Forwarded-For), though PostHog's host was blocked.
        sent = {event["uuid"]: event["event"] for event in relayed_events}
        assert {"$pageview", "$identify"} <= set(sent.values()), sent
        arrived = sink.wait_for(f"the page's {len(sent)} events", lambda e: e.get("uuid") in sent, count=len(sent))
        assert {e["uuid"] for e in arrived} == set(sent)
        for event in arrived:
            assert event["forwarded"] is True and event["ip"] == "127.0.0.1", event
        assert relay_answers and all(status == 200 for status, _ in relay_answers), relay_answers
        assert not [url for url in requested if sink_host in url or "posthog.com" in url], requested
    finally:
        exit_code = server.stop()
    # Shutdown flushed every server event to the sink.
    assert exit_code == 0, "".join(server.output)
    try:
        events = sink.wait_for("server user_logged_in", from_server("user_logged_in"))
        events = sink.events
    finally:
        sink.stop()

    # The browser's own $identify: the same person, merged from the same anonymous ids.
    assert [(e["distinct_id"], props(e)["$anon_distinct_id"]) for e in browser_identifies] == [
        (user_id, anonymous_id), (user_id, second_anonymous_id),
    ]

    server_events = [e for e in events if lib(e) == "posthog-node"]
    names = sorted(e["event"] for e in server_events)
    assert names == sorted([
        "$identify", "user_signed_up", "todo_added", "todo_added", "todo_added",
        "todo_completed", "stats_viewed", "user_logged_out", "$identify", "user_logged_in",
    ]), names
    identifies = [e for e in server_events if e["event"] == "$identify"]
    assert sorted(props(e)["$anon_distinct_id"] for e in identifies) == sorted([anonymous_id, second_anonymous_id])
    for event in server_events:
        assert event["distinct_id"] == user_id, event
        assert event["api_key"] == PROJECT_TOKEN
        after_login = event["event"] == "user_logged_in" or props(event).get("$anon_distinct_id") == second_anonymous_id
        assert props(event)["$session_id"] == (second_session_id if after_login else session_id), event

    # The browser's events of the first session share the server's session id.
    browser_sessions = {props(e).get("$session_id") for e in events if lib(e) == "web"}
    assert {session_id, second_session_id} <= browser_sessions
    # Static files and the config route send nothing: no stray server events, no errors.
    assert not [e for e in events if e["event"] == "$exception"]


def api_call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
    """One JSON API call from the test itself (not through the page)."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def shown_titles(page) -> list[str]:
    return page.locator("#todo-list li .title").all_inner_texts()


@pytest.mark.slow
def test_page_loads_more_todos_as_the_user_scrolls(render, npm_env, browser):
    """The list comes a page (50) at a time: scrolling down to "Show more", or
    clicking it, loads the next; a todo added meanwhile comes with the last page."""
    result = render(project_name="browser-pages")
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    npm(project, npm_env, "install", "--no-audit", "--no-fund")
    server = Server(project, npm_env)
    try:
        line = server.wait_for("listening on http://")
        base = line.split("listening on ", 1)[1].split()[0].rstrip("/")
        email = "lin@example.com"
        token = api_call(base, "POST", "/api/auth/signup", {"email": email, "password": PASSWORD})["token"]
        titles = [f"todo {i}" for i in range(1, 121)]
        for title in titles:
            api_call(base, "POST", "/api/todos", {"title": title}, token)

        page, page_errors = new_page(browser)
        page.goto(f"{base}/")
        wait_visible(page, "#auth")
        with page.expect_response(re.compile(r"/api/todos\?")) as first_page:
            log_in(page, email)
        assert first_page.value.json()["nextCursor"], first_page.value.json()
        wait_visible(page, "#more")
        assert shown_titles(page) == titles[:50]
        assert page.locator("#empty").is_hidden()

        # Added while pages remain: not shown yet, it is last of all.
        with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/todos")):
            page.fill("#todo-form [name=title]", "added while scrolling")
            page.click("#todo-form button[type=submit]")
        page.locator("#more", has_text="new todos are at the end").wait_for()
        assert len(shown_titles(page)) == 50

        # Scrolling down to the button loads the next page.
        with page.expect_response(re.compile(r"/api/todos\?.*cursor=")):
            page.locator("#more").scroll_into_view_if_needed()
        page.locator("#todo-list li").nth(99).wait_for()
        # Clicking it loads the last one, and the button goes. (A click in the
        # page: Playwright's own would scroll to the button and load it that way.)
        page.locator("#more").dispatch_event("click")
        page.locator("#todo-list li").nth(120).wait_for()
        page.locator("#more").wait_for(state="hidden")
        assert shown_titles(page) == [*titles, "added while scrolling"]
        assert page_errors == [], page_errors
    finally:
        assert server.stop() == 0, "".join(server.output)


@pytest.mark.slow
def test_page_works_without_a_token(render, npm_env, browser):
    """No POSTHOG_PROJECT_TOKEN: posthog-js is never loaded, the app still works."""
    result = render(project_name="browser-no-token")
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    npm(project, npm_env, "install", "--no-audit", "--no-fund")
    server = Server(project, npm_env)
    try:
        line = server.wait_for("listening on http://")
        base = line.split("listening on ", 1)[1].split()[0].rstrip("/")
        page, page_errors = new_page(browser)
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        assert_strict_csp(page.goto(f"{base}/"))
        wait_visible(page, "#signup-form")
        assert "PostHog is off" in page.inner_text("#posthog-status")
        response = sign_up(page, "grace@example.com", "Grace Hopper")
        assert response.status == 201
        assert "x-posthog-distinct-id" not in response.request.all_headers()
        add_todo(page, "Set POSTHOG_PROJECT_TOKEN")
        assert page.evaluate("window.posthog") is None
        assert not [url for url in requested if "posthog-js" in url]
        assert page_errors == [], page_errors
        assert csp_violations(page) == []
    finally:
        assert server.stop() == 0, "".join(server.output)
