"""Keep the job template's embedded copy of ``run_row.py`` up to date.

    python -m farm.template          # rewrite the copy in gass-textures.openjd.yaml
    python -m farm.template --check  # exit 1 if the copy is stale

The template carries the runner as an embedded file so that farm workers need
no checkout of this repository; ``run_row.py`` is the copy that is edited,
linted and type checked.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FARM = Path(__file__).resolve().parent
TEMPLATE = FARM / "gass-textures.openjd.yaml"
RUNNER = FARM / "run_row.py"
#: The line that opens the embedded runner in the template, and the indent of its body.
DATA_LINE = "      data: |"
INDENT = " " * 8


def _block(lines: list[str]) -> tuple[int, int]:
    """(first, end) line indexes of the embedded runner's body in the template's lines."""
    first = lines.index(DATA_LINE) + 1
    end = first
    while end < len(lines) and (lines[end].startswith(INDENT) or not lines[end].strip()):
        end += 1
    while end > first and not lines[end - 1].strip():  # trailing blank lines belong to the YAML, not the file
        end -= 1
    return first, end


def embedded(template: str) -> str:
    """The runner's source as embedded in the template's text."""
    lines = template.split("\n")
    first, end = _block(lines)
    return "\n".join(line.removeprefix(INDENT) for line in lines[first:end]) + "\n"


def with_runner(template: str, runner: str) -> str:
    """The template's text with ``runner`` as its embedded runner."""
    if "{{" in runner:
        raise ValueError("run_row.py must not contain '{{': OpenJD would read it as a format string")
    lines = template.split("\n")
    first, end = _block(lines)
    body = [INDENT + line if line else "" for line in runner.rstrip("\n").split("\n")]
    return "\n".join([*lines[:first], *body, *lines[end:]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m farm.template", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if the copy is stale")
    args = parser.parse_args(argv)
    template, runner = TEMPLATE.read_text(encoding="utf-8"), RUNNER.read_text(encoding="utf-8")
    if embedded(template) == runner:
        print(f"{TEMPLATE.name}: the embedded runner matches {RUNNER.name}")
        return 0
    if args.check:
        print(f"{TEMPLATE.name}: the embedded runner differs from {RUNNER.name}; run python -m farm.template")
        return 1
    TEMPLATE.write_text(with_runner(template, runner), encoding="utf-8")
    print(f"{TEMPLATE.name}: embedded runner updated from {RUNNER.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
