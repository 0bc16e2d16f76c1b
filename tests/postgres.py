"""A throwaway PostgreSQL server for the tests, from the Debian binaries.

Registered from conftest.py (`pytest_plugins`). The `postgres_url` session
fixture starts one cluster in a temporary directory on a free port and yields
its admin URL (a superuser with a password, so that generated projects can test
a wrong password); `postgres_database` gives a test an empty database of its own
on it. PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` user (`runuser`). Without the binaries the tests that need it are
skipped, except in CI, where that is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PASSWORD = "template-tests"
START_TIMEOUT = 30


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL will not run as root: drop to the `postgres` user when root."""
    if os.geteuid() != 0:
        return command
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root and there is no `postgres` user to run PostgreSQL as")
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="session")
def postgres_url():
    bin_dir = _bin_dir()
    if bin_dir is None:
        message = (
            "PostgreSQL server binaries (initdb, postgres) not found: "
            "install Debian's `postgresql` package"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    # Not under pytest's own temp directory: its parents are private to the user
    # running the tests, and the server user must reach and write this one.
    root = Path(tempfile.mkdtemp(prefix="template-postgres-"))
    root.chmod(0o777)
    data = root / "data"
    password_file = root / "password"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o644)
    port = _free_port()

    subprocess.run(
        _as_server_user([
            str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
            "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={password_file}",
        ]),
        check=True, capture_output=True, text=True,
    )
    log = open(root / "server.log", "w")
    server = subprocess.Popen(
        _as_server_user([
            str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300",
        ]),
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            ready = subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"PostgreSQL did not start:\n{(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"postgres://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        # "fast": disconnects whatever a failed test left connected.
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "stop", "-m", "fast", "-w"]),
            capture_output=True,
        )
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_url):
    """The URL of a new, empty database on that server, dropped afterwards."""
    psql = [str(_bin_dir() / "psql"), postgres_url, "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    name = f"test_{secrets.token_hex(8)}"
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    yield f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], capture_output=True)
