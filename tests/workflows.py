"""Run a GitHub Actions job's `run` steps here, in order, as the runner would.

Enough of the runner for the generated projects' own workflows, so that the tests
check that their commands pass, not only that the YAML is well-formed: each `run`
step goes through `bash --noprofile --norc -eo pipefail` (the runner's default
shell on Linux) with the workflow's, the job's and the step's `env`, the runner's
usual variables (CI, GITHUB_OUTPUT, RUNNER_TEMP, ...) and the step's `if`. `uses`
steps are not run: the caller stands in for them (a clone for actions/checkout,
the Node.js on PATH for actions/setup-node) and says which it stands in for.
Expressions are only the few these workflows use (`${{ a.b.c }}` looked up in a
flat context, `a.b == 'x'`); anything else fails the test, saying so.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
COMPARISON = re.compile(r"^([\w.-]+)\s*(==|!=)\s*'([^']*)'$")
STEP_TIMEOUT = 1200


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def run_scripts(workflow: dict) -> list[str]:
    """Every `run` script of every job, in order."""
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


@dataclass
class StepResult:
    name: str
    script: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return (f"step {self.name!r} exited {self.returncode}\n--- script\n{self.script}"
                f"--- stdout\n{self.stdout[-6000:]}\n--- stderr\n{self.stderr[-6000:]}")


def evaluate(text: str, context: dict[str, str]) -> str:
    def lookup(match: re.Match) -> str:
        name = match.group(1)
        if name not in context:
            raise AssertionError(f"no value for ${{{{ {name} }}}} in this test's stand-in for the runner")
        return context[name]
    return EXPRESSION.sub(lookup, str(text))


def condition(expression: str | None, context: dict[str, str]) -> bool:
    if expression is None:
        return True
    text = EXPRESSION.sub(lambda m: m.group(1), str(expression)).strip()
    if match := COMPARISON.match(text):
        name, operator, literal = match.groups()
        value = context.get(name, "")
        return (value == literal) if operator == "==" else (value != literal)
    raise AssertionError(f"this test's stand-in for the runner cannot evaluate `if: {expression}`")


def parse_outputs(path: Path) -> dict[str, str]:
    """The step's GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines()) if path.exists() else iter(())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            outputs[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def run_job(workflow: dict, job: str, cwd: Path, env: dict[str, str], *, stands_in: dict[str, str],
            context: dict[str, str] | None = None, overrides: dict[str, str] | None = None,
            check: bool = True) -> list[StepResult]:
    """Run `job`'s steps in `cwd`.

    `stands_in` maps each `uses` action (without its @version) to what the test did
    in its place; an action it does not name fails the test. `context` gives the
    expressions' values (`github.token`, `matrix.node-version`, ...); the steps'
    outputs are added as `steps.ID.outputs.NAME`. `overrides` replace variables of
    the workflow's `env` (a service container's address by its stand-in's).
    """
    spec = workflow["jobs"][job]
    context = dict(context or {})
    temp = Path(tempfile.mkdtemp(prefix="runner-temp-"))
    base = {
        **env,
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(cwd),
        "RUNNER_TEMP": str(temp),
        "RUNNER_OS": "Linux",
    }
    # The runner's variables for what the context knows (GITHUB_REPOSITORY, ...).
    for name in ("repository", "server_url"):
        if f"github.{name}" in context:
            base[f"GITHUB_{name.upper()}"] = context[f"github.{name}"]
    results: list[StepResult] = []
    for index, step in enumerate(spec["steps"]):
        name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
        if "uses" in step:
            action = step["uses"].split("@", 1)[0]
            assert action in stands_in, f"nothing here stands in for {step['uses']}"
            continue
        if not condition(step.get("if"), context):
            continue
        step_env = dict(base)
        for scope in (workflow.get("env"), spec.get("env"), step.get("env")):
            for key, value in (scope or {}).items():
                step_env[key] = evaluate(value, context)
        for key, value in (overrides or {}).items():
            if key in step_env:
                step_env[key] = value
        output = temp / f"output-{index}"
        step_env["GITHUB_OUTPUT"] = str(output)
        step_env["GITHUB_ENV"] = str(temp / f"env-{index}")
        script = temp / f"step-{index}.sh"
        script.write_text(step["run"])
        done = subprocess.run([*SHELL, str(script)], cwd=cwd, env=step_env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=STEP_TIMEOUT)
        result = StepResult(name, step["run"], done.returncode, done.stdout, done.stderr, parse_outputs(output))
        results.append(result)
        if "id" in step:
            for key, value in result.outputs.items():
                context[f"steps.{step['id']}.outputs.{key}"] = value
        if done.returncode:
            if check:
                raise AssertionError(result.describe())
            break
    return results


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what a CI runner would not have set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("POSTHOG_", "GITHUB_", "RUNNER_", "GH_"))
           and k not in ("DATABASE_URL", "TEST_DATABASE_URL", "PORT", "HOST", "NODE_ENV")}
    env.update(extra)
    return env
