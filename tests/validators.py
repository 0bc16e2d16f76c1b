"""Run copier.yml's validators directly, without rendering a project: fast enough
to check a large table of answers, and the suggestions the messages make."""

from __future__ import annotations

import re
from functools import cache

import yaml
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment
from jinja2_ansible_filters import AnsibleCoreFiltersExtension

from helpers import ROOT

# A message's problem and fix come in its first VISIBLE characters...
VISIBLE = 70
# ...but at the prompt Copier puts "Validation error for question 'NAME': " before it,
# and the line is cut at the terminal's width: at 80 columns only about 25 to 33
# characters of the message show. Its first clause (up to ';') must show there.
COLUMNS = 80


def visible_line(question: str, message: str, columns: int = COLUMNS) -> str:
    """What a terminal of `columns` shows of the error line at the prompt."""
    return f"Validation error for question '{question}': {message}"[: columns - 1]


def first_clause(message: str) -> str:
    return re.split(r"[;:]\s", message, maxsplit=1)[0]


@cache
def _questions() -> dict:
    return yaml.safe_load((ROOT / "copier.yml").read_text())


def validate(question: str, value, **context) -> str:
    """The validator's message for `value` ('' when it is accepted), as Copier renders it."""
    # Copier's loader resolves the validators' {% include %} from the template's root.
    env = SandboxedEnvironment(loader=FileSystemLoader(ROOT), extensions=[AnsibleCoreFiltersExtension],
                               keep_trailing_newline=True)
    template = env.from_string(_questions()[question]["validator"])
    return template.render({**context, question: value}).strip()


def suggestion(message: str) -> str | None:
    """The value a message suggests, `use '...'`, if it suggests one."""
    match = re.search(r"[Uu]se '([^']*)'", message)
    return match[1] if match else None
