"""Fixtures: an isolated Copier, a snapshot of the template, a shared npm cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import ROOT, snapshot_template
from node_runtime import DEFAULT_LINE, is_supported, node_bin, node_version

# A throwaway PostgreSQL server for the projects that answer database=postgres,
# and the conformance suite run against generated projects.
pytest_plugins = ["postgres", "conformance"]


def npm_cache_dir() -> Path:
    return Path(os.environ.get("TEMPLATE_TEST_NPM_CACHE", ROOT / ".cache" / "npm"))


def pytest_configure(config: pytest.Config) -> None:
    # pytest-copie's --template defaults to the current directory; the template is
    # this repository wherever pytest is started from.
    if not (Path(config.option.template) / "copier.yml").is_file():
        config.option.template = str(ROOT)
    # Generated projects refuse an end-of-life Node: put a supported line first on
    # PATH for every node and npm this run starts, unless the machine has one.
    if not is_supported(node_version()):
        bin_dir = node_bin(DEFAULT_LINE, str(npm_cache_dir()))
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first: the full cycles (about two minutes each), then the other
    tests that install a project, then the quick ones. With `make test`'s
    `--maxschedchunk 1` each worker takes the next test once it is free, so the
    quick tests are left to even out the two workers' loads at the end (xdist
    otherwise hands out chunks in collection order, and the full cycles came
    last)."""
    def rank(item: pytest.Item) -> int:
        if item.path.name == "test_full_cycle.py" and item.get_closest_marker("slow"):
            return 0
        return 1 if item.get_closest_marker("slow") else 2
    items.sort(key=rank)


@pytest.fixture(scope="session", autouse=True)
def isolated_copier(tmp_path_factory: pytest.TempPathFactory):
    """Keep the user's own Copier settings (defaults, trust) out of every test."""
    settings = tmp_path_factory.mktemp("copier-settings") / "settings.yml"
    settings.write_text("{}\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COPIER_SETTINGS_PATH", str(settings))
        yield settings


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template's working tree (committed or not) as a clean git repository.

    Rendering from it tests exactly what is on disk, without Copier's "dirty
    template" handling, and works the same locally and in a CI clone.
    """
    return snapshot_template(tmp_path_factory.mktemp("template") / "copier-posthog-node")


@pytest.fixture
def render(copie, template: Path):
    """Render the template with answers (as `--defaults` plus these answers)."""

    def _render(**answers):
        return copie.copy(extra_answers=answers, template_dir=template, vcs_ref="HEAD")

    return _render


@pytest.fixture(scope="session")
def npm_cache() -> Path:
    """One npm cache for every test and worker (npm's cache is safe to share).

    Kept in the repository's gitignored .cache/ so local re-runs install from it.
    """
    path = npm_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path
