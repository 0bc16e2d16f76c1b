"""`make demo`: generate the default project, install it and run it next to a local
stand-in for PostHog, so a newcomer sees events arrive without an account or a key.

The project is a throwaway copy in .cache/demo/ (rebuilt on every run, from the
working tree as it is). Two processes run: the project's own capture sink
(`npm run posthog:inspect`), which prints every event it receives, and the server
(`npm start`) with a dummy phc_ token and POSTHOG_HOST pointing at the sink.
Generated projects need Node.js 22.22 or newer; with an older `node` on PATH both
run under Node 24 fetched by `npm exec --package node@24`. Ctrl-C stops the
server first, which delivers its last events to the sink, then the sink.

`--smoke` (used by tests/test_demo.py): once both are up, sign a user up through
the API, wait until the sink prints the event, fetch posthog-js's remote config
through the server's relay (as the page does), and stop.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".cache" / "demo" / "posthog-node-app"
NPM_CACHE = Path(os.environ.get("TEMPLATE_TEST_NPM_CACHE", ROOT / ".cache" / "npm"))
TOKEN = "phc_local_demo_token"  # any phc_ token: the local sink accepts every one
MIN_NODE = (22, 22)
NODE_24 = ["npm", "exec", "--yes", "--package", "node@24", "--"]


_OUTPUT = threading.Lock()


def say(message: str = "") -> None:
    # One write per line, under a lock: the two processes' lines never interleave.
    with _OUTPUT:
        sys.stdout.write(f"{message}\n")
        sys.stdout.flush()


def node_prefix() -> list[str]:
    """What to put before `npm ...` so that it runs on a supported Node.js."""
    node = shutil.which("node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout if node else ""
    match = re.match(r"v(\d+)\.(\d+)", version)
    if match and (int(match[1]), int(match[2])) >= MIN_NODE:
        return []
    say(f"Node.js {version.strip() or '(none)'} is older than {MIN_NODE[0]}.{MIN_NODE[1]}: "
        "using Node 24 through `npm exec --package node@24`.")
    return NODE_24


def node_binary(prefix: list[str], env: dict) -> str:
    """The supported `node` itself: the server and the sink run as node processes,
    not under npm, so that Ctrl-C's signal reaches each of them exactly once."""
    result = subprocess.run([*prefix, "node", "-p", "process.execPath"], capture_output=True, text=True,
                            env=env, check=True)
    return result.stdout.strip().splitlines()[-1]


def script(name: str, node: str, *args: str) -> list[str]:
    """An npm script of the demo project as the command it runs, on `node`."""
    command = shlex.split(json.loads((DEMO / "package.json").read_text())["scripts"][name])
    assert command[0] == "node", command
    return [node, *command[1:], *args]


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise SystemExit("no free port")


def run(cmd: list[str], cwd: Path, env: dict) -> None:
    say(f"$ {' '.join(cmd)}")
    if subprocess.run(cmd, cwd=cwd, env=env).returncode:
        raise SystemExit(f"`{' '.join(cmd)}` failed")


def generate(env: dict) -> None:
    shutil.rmtree(DEMO, ignore_errors=True)
    DEMO.parent.mkdir(parents=True, exist_ok=True)
    copier = Path(sys.executable).with_name("copier")
    # --vcs-ref HEAD renders the working tree, uncommitted changes included; the git
    # task is skipped: the demo lives inside this repository and is thrown away.
    run([str(copier), "copy", "--trust", "--defaults", "--skip-tasks", "--quiet",
         "--vcs-ref", "HEAD", str(ROOT), str(DEMO)], ROOT, env)


def start(name: str, cmd: list[str], env: dict, lines: list[str], seen: threading.Event,
          pattern: str | None = None) -> subprocess.Popen:
    """Start `cmd` in its own process group, its output prefixed with `name`."""
    child = subprocess.Popen(cmd, cwd=DEMO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def pump() -> None:
        for line in child.stdout:
            lines.append(line)
            say(f"[{name}] {line.rstrip()}")
            if pattern and pattern in line:
                seen.set()

    threading.Thread(target=pump, daemon=True).start()
    return child


def wait_for(url: str, children: list[subprocess.Popen], timeout: float = 120) -> None:
    """Poll `url` until it answers (the processes print no machine-readable 'ready')."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise SystemExit("a demo process exited early: see its output above")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError as error:
            if getattr(error, "code", None):  # an HTTP error is an answer
                return
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def stop(children: list[subprocess.Popen]) -> None:
    """Stops the server first and waits for it: its shutdown flushes PostHog to
    the sink, which must still be listening. Then the sink."""
    for child in reversed(children):
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGINT)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="sign up once, see the event, stop")
    args = parser.parse_args()

    env = {**os.environ, "npm_config_cache": str(NPM_CACHE), "NO_COLOR": "1",
           "npm_config_update_notifier": "false", "npm_config_fund": "false",
           "npm_config_audit": "false"}
    env = {k: v for k, v in env.items() if not k.startswith("POSTHOG_")}
    prefix = node_prefix()
    generate(env)
    run([*prefix, "npm", "install", "--no-audit", "--no-fund"], DEMO, env)

    port, sink_port = free_port(3000), free_port(8010)
    sink_url = f"http://127.0.0.1:{sink_port}"
    server_env = {**env, "PORT": str(port), "POSTHOG_PROJECT_TOKEN": TOKEN, "POSTHOG_HOST": sink_url}
    lines: list[str] = []
    signed_up = threading.Event()
    node = node_binary(prefix, env)
    children = [start("posthog", script("posthog:inspect", node, "--port", str(sink_port)), env, lines,
                      signed_up, "user_signed_up")]
    try:
        wait_for(f"{sink_url}/", children)
        children.append(start("server", script("start", node), server_env, lines, signed_up))
        base = f"http://localhost:{port}"
        wait_for(f"{base}/health", children)
        relay = json.loads((DEMO / "package.json").read_text())["config"]["posthogProxyPath"]
        say(f"""
==============================================================================
 The demo project runs ({DEMO.relative_to(ROOT)}), sending its events to a local
 stand-in for PostHog at {sink_url}: no account, no key.

   Open {base}/          the browser page: sign up, add todos
        {base}/health    a health check

   Or from another terminal:
     curl -s -X POST {base}/api/auth/signup -H 'content-type: application/json' \\
       -d '{{"email":"ada@example.com","password":"correct horse","name":"Ada"}}'

 Each event the server (and the page) sends appears below as [posthog] lines,
 about 5 s after the request: posthog-node sends events in batches, as it
 would in production. The page's posthog-js reaches the stand-in through the
 server's own relay, {base}{relay}/ (past ad blockers), so its events
 show the browser's address. Ctrl-C stops the server (which sends what is
 left), then the stand-in.
==============================================================================
""")
        if args.smoke:
            body = json.dumps({"email": "ada@example.com", "password": "correct horse",
                               "name": "Ada"}).encode()
            request = urllib.request.Request(f"{base}/api/auth/signup", data=body, method="POST",
                                             headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                say(f"smoke: signup answered {response.status}")
            if not signed_up.wait(30):
                raise SystemExit("smoke: the sink never printed user_signed_up")
            say("smoke: the sink printed the signup event")
            with urllib.request.urlopen(f"{base}{relay}/array/{TOKEN}/config.js", timeout=10) as response:
                assert b"_POSTHOG_REMOTE_CONFIG" in response.read()
                say(f"smoke: the relay at {relay} answered {response.status} from the sink")
            return 0
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        say("\nStopping the server and the sink...")
        return 0
    finally:
        stop(children)


if __name__ == "__main__":
    sys.exit(main())
