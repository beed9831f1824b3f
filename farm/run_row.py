"""Run one texture of a GASS manifest: the task of ``farm/gass-textures.openjd.yaml``.

    python run_row.py FOLDER MANIFEST ROW VARIATION VARIATIONS COMMAND

reads row ROW (counting from 1) of the manifest FOLDER/MANIFEST and runs
``COMMAND [JOB] INPUTS... -o OUTPUT --seed S --OPTION VALUE...`` in FOLDER,
so relative paths in the manifest are relative to FOLDER. The seed S is the
row's ``seed`` (default 0) plus VARIATION; ``{seed}`` in the output name
becomes S. The exit code is the command's; a bad row or manifest prints one
line ``gass: error: ...`` and exits with 2, like the command itself.

The job template embeds a verbatim copy of this file (``python -m farm.template``
refreshes it), so workers need only a Python 3.8+ and the GASS command: no
checkout. Standard library only.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from typing import NoReturn

JOBS = ("new", "tile", "fill", "pbr", "equalize")
#: The jobs that take a --seed.
SEEDED_JOBS = ("new", "fill", "pbr")
#: Row keys that are not command-line options.
ROW_KEYS = ("job", "inputs", "output", "seed")


def fail(message: str) -> NoReturn:
    """Print the one-line error and exit with 2 (bad input, as the GASS command does)."""
    print(f"gass: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def read_rows(manifest: str) -> list[object]:
    """The ``textures`` list of the manifest file."""
    try:
        with open(manifest, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as err:
        fail(f"cannot read the manifest {manifest!r}: {err.strerror}")
    except ValueError as err:
        fail(f"the manifest {manifest!r} is not valid JSON: {err}")
    rows = data.get("textures") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        fail(f'the manifest {manifest!r} has no "textures" list (one object per texture)')
    return rows


def option_args(key: str, value: object) -> list[str]:
    """``"weights": [0.7, 0.3]`` -> ``--weights 0.7 0.3``; ``true`` -> a bare flag; ``false``/``null`` -> nothing."""
    flag = f"--{key}"
    if value is True:
        return [flag]
    if value is False or value is None:
        return []
    if isinstance(value, list):
        return [flag, *(str(v) for v in value)]
    if isinstance(value, dict):
        fail(f'"{key}" is an object; give a number, a string, true or a list')
    return [flag, str(value)]


def row_args(row: object, number: int, variation: int, variations: str) -> list[str]:
    """The GASS arguments of one manifest row (``number`` counts from 1), for seed offset ``variation``."""
    where = f"row {number}"
    if not isinstance(row, dict):
        fail(f"{where} is not an object such as " + '{"inputs": ["bark.png"], "output": "out/bark.png"}')
    job = row.get("job", "new")
    if job not in JOBS:
        fail(f'{where}: "job" is {job!r}; allowed: {", ".join(JOBS)}')
    inputs = row.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        fail(f'{where} needs "inputs": a list of files, e.g. ["bark.png"]')
    output = row.get("output")
    if not isinstance(output, str) or not output:
        fail(f'{where} needs "output": a file name, e.g. "out/bark.png"')
    seed = row.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        fail(f'{where}: "seed" is {seed!r}; give a whole number')
    seed += variation
    several = not variations.strip().lstrip("-").isdigit()
    if several and job not in SEEDED_JOBS:
        fail(f"{where}: {job} draws nothing at random, so its variations {variations} would all be the same image")
    if several and "{seed}" not in output:
        fail(
            f"{where}: the output {output!r} has no " + "{seed}" + f" in it, so the variations {variations} "
            "would all write that one file; name it e.g. out/bark_{seed}.png"
        )
    args = [job, *inputs, "-o", output.replace("{seed}", str(seed))]
    if job in SEEDED_JOBS:  # tile and equalize draw nothing at random
        args += ["--seed", str(seed)]
    for key, value in row.items():
        if key not in ROW_KEYS:
            args += option_args(key, value)
    return args


def output_folders(args: list[str]) -> set[str]:
    """The folders the outputs of ``args`` go to: one per map kind when the output has {map} in it."""
    end = args.index("-o")
    output = args[end + 1]
    if "{map}" not in output:
        return {os.path.dirname(output)} - {""}
    kinds = {item.partition("=")[0].strip().lower() for maps in args[1:end] for item in maps.split(",")}
    return {os.path.dirname(output.replace("{map}", kind)) for kind in kinds} - {""}


def command_words(command: str) -> list[str]:
    """'blender -b -c gass' -> ['blender', '-b', '-c', 'gass'] (shell-like quoting; Windows paths kept)."""
    if os.name != "nt":
        return shlex.split(command)
    words = shlex.split(command, posix=False)
    return [w[1:-1] if len(w) > 1 and w[0] == w[-1] == '"' else w for w in words]


def main(argv: list[str]) -> int:
    """Run the row; returns the command's exit code."""
    if len(argv) != 6:
        fail("usage: run_row.py FOLDER MANIFEST ROW VARIATION VARIATIONS COMMAND")
    folder, manifest, row, variation, variations, command = argv
    try:
        os.chdir(folder)
    except OSError as err:
        fail(f"cannot enter the folder {folder!r}: {err.strerror}")
    rows = read_rows(manifest)
    number = int(row)
    if not 1 <= number <= len(rows):
        fail(f"row {number} is not in the manifest {manifest!r}, which has rows 1-{len(rows)}")
    args = row_args(rows[number - 1], number, int(variation), variations)
    for output_folder in output_folders(args):
        os.makedirs(output_folder, exist_ok=True)
    words = [*command_words(command), *args]
    print(f"gass row {number}: {shlex.join(words)}", flush=True)
    try:
        return subprocess.call(words)
    except OSError as err:
        fail(
            f"cannot run {words[0]!r} ({err.strerror}); give its full path in the Command parameter, "
            "e.g. Command=/opt/blender/blender -b -c gass, or use Command=python -m core"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
