"""What the generated README says is true of the project it comes with.

A release that moves a file or renames a script leaves sentences behind that
send a newcomer looking for something that is not there ("Data lives in memory,
in src/store.js"). Every combination of answers is rendered, and every file,
folder and npm script its README names must exist in that project.
"""

from __future__ import annotations

import itertools
import re

import pytest

from helpers import FRAMEWORKS, package_json

COMBINATIONS = list(itertools.product(FRAMEWORKS, ["javascript", "typescript"], ["sqlite", "postgres"],
                                      [True, False]))

# `src/app.js`, `test/support/`, `scripts/check-node.js`, `test/*.test.js`, `data/app.db`.
PATH = re.compile(r"`((?:src|test|scripts|public|data)/[\w./*{}-]*)`")
# `npm run posthog:check`, and npm's own shorthands for two scripts: `npm test`, `npm start`.
NPM_SCRIPT = re.compile(r"\bnpm (?:run (?:--silent )?([\w:-]+)|(test|start)\b)")
# Files the README tells the reader to make, or that exist only at run time.
NOT_SHIPPED = {"src/http/routes/feedback.js", "src/http/routes/feedback.ts", "data/app.db",
               "src/domain/todos.js", "src/domain/todos.ts"}


@pytest.mark.parametrize(("framework", "language", "database", "frontend"), COMBINATIONS,
                         ids=lambda value: str(value))
def test_every_file_and_script_the_readme_names_exists(render, framework, language, database, frontend):
    result = render(framework=framework, language=language, database=database, frontend=frontend)
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    readme = (project / "README.md").read_text()

    missing = []
    for path in sorted(set(PATH.findall(readme)) - NOT_SHIPPED):
        if "{" in path:
            continue
        if not (list(project.glob(path.rstrip("/"))) if "*" in path else (project / path).exists()):
            missing.append(path)
    assert missing == [], f"the README names what this project does not have: {missing}"

    scripts = package_json(project)["scripts"]
    unknown = sorted({run or shorthand for run, shorthand in NPM_SCRIPT.findall(readme)} - set(scripts))
    assert unknown == [], f"the README names npm scripts that package.json does not have: {unknown}"
