#!/usr/bin/env python3
"""Developer entry point: set up, test, build, and run the demo on a fresh machine.

Usage (needs only Python 3.11 on the PATH as python3.11 or python3):

    python3 dev.py test    # venvs for Blender 5.0 and 4.2, ruff, mypy, every test in both
    python3 dev.py demo    # build the extension, synthesize in headless Blender, write out/
    python3 dev.py bench   # benchmarks/ tables and contact sheet

Virtual environments: .venv (bpy 5.0.1, numpy 1.26, the dev tools) and
.venv42 (bpy 4.2.23 with numpy 2.x). Both are reused when present.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ENVS = {
    ".venv": ["bpy==5.0.1", "numpy<2", "pillow", "pytest", "ruff", "mypy", "fake-bpy-module", "openjd-cli"],
    ".venv42": ["bpy==4.2.23", "numpy>=2", "pillow", "pytest", "openjd-cli"],
}


def _python311() -> str:
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    for name in ("python3.11", "python3"):
        try:
            out = subprocess.run(
                [name, "-c", "import sys;print(sys.version_info[:2]==(3,11))"],
                capture_output=True,
                text=True,
                check=False,
            )
        except FileNotFoundError:
            continue
        if out.stdout.strip() == "True":
            return name
    sys.exit("dev.py: Python 3.11 is needed (Blender's bpy module exists only for 3.11)")


def venv(name: str) -> Path:
    """Create (once) and return the python of the virtual environment ``name``."""
    py = ROOT / name / "bin" / "python"
    stamp = ROOT / name / ".gass-installed"
    wanted = "\n".join(ENVS[name])
    if not py.exists():
        run([_python311(), "-m", "venv", str(ROOT / name)])
    if not stamp.exists() or stamp.read_text() != wanted:
        run([str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        run([str(py), "-m", "pip", "install", "--quiet", *ENVS[name]])
        stamp.write_text(wanted)
    return py


def run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def test(args: list[str]) -> None:
    py = venv(".venv")
    py42 = venv(".venv42")
    run([str(py), "-m", "ruff", "check", "."])
    if (ROOT / "gass_blender").exists():
        run([str(py), "build.py", "--typecheck"])  # mypy on the staged add-on (gass_blender.core exists there)
    env = dict(os.environ, PYTHONHASHSEED="0")
    run([str(py), "-m", "pytest", "-q", *args], env=env)
    run([str(py42), "-m", "pytest", "-q", *args], env=env)


def demo(args: list[str]) -> None:
    py = venv(".venv")
    run([str(py), "build.py"])
    run([str(py), "scripts/demo.py", *args])


def bench(args: list[str]) -> None:
    py = venv(".venv")
    run([str(py), "benchmarks/bench.py", *args])


def main() -> None:
    commands = {"test": test, "demo": demo, "bench": bench}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(commands)}}} [args...]")
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as err:
        sys.exit(err.returncode or 1)


if __name__ == "__main__":
    main()
