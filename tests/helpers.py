"""Shared constants and helpers for the template's tests."""

from __future__ import annotations

import json
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every framework with an adapter in template/src/ (its conditional app.ts):
# each generated project goes through the full cycle (tests/test_full_cycle.py).
FRAMEWORKS = ["express", "fastify", "koa"]

TEST_GIT_IDENTITY = ("-c", "user.name=Template Tests", "-c", "user.email=tests@example.invalid")

# Directories that are never part of a generated project's own content.
NOT_PROJECT_CONTENT = {".git", "node_modules"}

# How long a generated project's server (or capture sink) may take to listen, or to exit.
START_TIMEOUT = 30


def git(cwd: Path, *args: str, check: bool = True) -> str:
    """Run git in `cwd` and return its stdout."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, check=False, capture_output=True, text=True
    )
    if check and result.returncode:
        raise AssertionError(
            f"git {' '.join(args)} failed in {cwd} ({result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
    return result.stdout


def working_tree_files(root: Path) -> list[str]:
    """Files of the template's working tree: tracked and untracked, not ignored.

    This is what a fresh clone plus the uncommitted work would hold, so tests
    exercise the template as it is on disk, committed or not.
    """
    if (root / ".git").exists():
        out = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        return sorted({p for p in out.split("\0") if p and (root / p).is_file()})
    skip = {".git", ".venv", ".cache", ".pytest_cache", "node_modules", "__pycache__"}
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not skip.intersection(p.relative_to(root).parts)
    )


def snapshot_template(dest: Path, tag: str | None = None) -> Path:
    """Copy the template's working tree into a new git repository with one commit."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in working_tree_files(ROOT):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    git(dest, "-c", "init.defaultBranch=main", "init", "--quiet")
    git(dest, "add", "--all")
    commit(dest, "Template snapshot")
    if tag:
        git(dest, "tag", tag)
    return dest


def commit(repo: Path, message: str, *options: str) -> None:
    git(repo, *TEST_GIT_IDENTITY, "-c", "commit.gpgsign=false", "commit", "--quiet",
        "--no-verify", *options, "-m", message)


def project_files(project: Path) -> list[Path]:
    """Every file of a generated project, outside .git and node_modules."""
    return sorted(
        p
        for p in project.rglob("*")
        if p.is_file() and not NOT_PROJECT_CONTENT.intersection(p.relative_to(project).parts)
    )


def package_json(project: Path) -> dict:
    return json.loads((project / "package.json").read_text())


def copier_error(result) -> str:
    """The message of a failed pytest-copie Result."""
    assert result.exit_code != 0, f"expected a refusal, got a project at {result.project_dir}"
    return str(result.exception)


class Server:
    """A server of a generated project: one of its npm scripts (`npm start`
    unless `script` names another, with `args` after it), its command run
    directly so that signals reach node, on a free port of 127.0.0.1 (PORT=0).
    Its output is read line by line; with `stdout` (an open file) its stdout
    goes there and only its stderr is read."""

    def __init__(self, project, env, script="start", args=(), stdout=None):
        command = [*shlex.split(package_json(project)["scripts"][script]), *args]
        self.process = subprocess.Popen(
            command, cwd=project, env={**env, "PORT": "0", "HOST": "127.0.0.1"},
            stdout=stdout or subprocess.PIPE,
            stderr=subprocess.PIPE if stdout else subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(
            target=self._pump, args=(self.process.stderr if stdout else self.process.stdout,), daemon=True,
        )
        self._reader.start()

    def _pump(self, stream):
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text, timeout=START_TIMEOUT):
        """The next output line containing `text` (the lines up to it join `output`)."""
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

    def url(self):
        """The base URL of its "listening on http://..." line."""
        line = self.wait_for("listening on http://")
        # In text, or inside a JSON line's "msg" (NODE_ENV=production).
        return re.search(r'listening on (http://[^\s"]+)', line)[1].rstrip("/")

    def stop(self, sig=signal.SIGTERM, timeout=START_TIMEOUT):
        """Signals the process, waits for its exit code; then `output` holds all it printed."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._reader.join(timeout=5)
            while not self.lines.empty():
                line = self.lines.get()
                if line is not None:
                    self.output.append(line)
