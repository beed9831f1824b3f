#!/usr/bin/env python3
"""Build the GASS Blender extension: stage, validate with Blender's own tool, zip.

Usage (with a Python that has the ``bpy`` wheel, e.g. ``.venv/bin/python``)::

    python build.py               # writes dist/gass_blender-<version>.zip
    python build.py --typecheck   # mypy on the staged add-on (as dev.py test does)

The repository keeps the add-on (``gass_blender/``) and the engine (``core/``)
side by side. The extension is one package, so this script stages a copy:

    build/stage/gass_blender/
        blender_manifest.toml     <- ./blender_manifest.toml
        __init__.py, ...          <- ./gass_blender/*.py
        core/                     <- ./core/ (vendored, relative imports only)

then runs Blender's extension tool (``blender_ext.py``, shipped inside the bpy
wheel) to ``validate`` the staged folder against Blender's own rules and tags
and to ``build`` the zip. Type checking runs mypy on the same staged tree
(``gass_blender.core`` only exists there) and prints paths of the source tree.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ADDON = ROOT / "gass_blender"
CORE = ROOT / "core"
MANIFEST = ROOT / "blender_manifest.toml"
STAGE = ROOT / "build" / "stage"
TYPECHECK_STAGE = ROOT / "build" / "typecheck"
DIST = ROOT / "dist"

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class BuildError(Exception):
    """The extension cannot be built; the message says why."""


def manifest() -> dict[str, object]:
    """The parsed ``blender_manifest.toml``."""
    with MANIFEST.open("rb") as fh:
        return tomllib.load(fh)


def core_version() -> str:
    """``core.__version__``, read from the source without importing the engine."""
    text = (CORE / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.MULTILINE)
    if match is None:
        raise BuildError("core/__init__.py does not define __version__")
    return match.group(1)


def project_version() -> str:
    """The version in ``pyproject.toml``."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def check_versions() -> str:
    """The common version of manifest, core and pyproject; raises if they differ."""
    versions = {
        "blender_manifest.toml": str(manifest()["version"]),
        "core/__init__.py (__version__)": core_version(),
        "pyproject.toml": project_version(),
    }
    if len(set(versions.values())) != 1:
        listed = ", ".join(f"{where} has {v}" for where, v in versions.items())
        raise BuildError(f"versions disagree: {listed}; make them equal")
    return versions["blender_manifest.toml"]


def check_imports(package_dir: Path) -> None:
    """Refuse absolute imports of the project's packages and Pillow in the add-on.

    An installed extension is ``bl_ext.<repo>.gass_blender``: ``import core`` or
    ``import gass_blender`` would not resolve there, and Blender has no Pillow.
    """
    problems = []
    for path in sorted(package_dir.rglob("*.py")):
        in_core = "core" in path.relative_to(package_dir).parts[:1]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in ("core", "gass_blender"):
                    problems.append(f"{path.relative_to(package_dir)}:{node.lineno}: absolute import of {name}")
                if top == "PIL" and not in_core:
                    problems.append(f"{path.relative_to(package_dir)}:{node.lineno}: imports Pillow")
    if problems:
        raise BuildError("the add-on must use relative imports only and no Pillow:\n  " + "\n  ".join(problems))


def stage(dest: Path = STAGE) -> Path:
    """Copy add-on, manifest and vendored core into ``dest/gass_blender``; returns that folder."""
    package = dest / "gass_blender"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ADDON, package, ignore=_IGNORE)
    shutil.copytree(CORE, package / "core", ignore=_IGNORE)
    shutil.copy2(MANIFEST, package / "blender_manifest.toml")
    check_imports(package)
    return package


def blender_tools() -> tuple[Path, Path]:
    """Blender's ``blender_ext.py`` and its list of valid tags, from the installed bpy wheel."""
    spec = importlib.util.find_spec("bpy")  # does not import (and start) Blender
    if spec is None or spec.origin is None:
        raise BuildError(
            "the bpy wheel is needed for Blender's extension validator: run with .venv/bin/python "
            "(python3 dev.py test creates it) or pip install bpy==5.0.1"
        )
    bpy_dir = Path(spec.origin).parent
    for version_dir in sorted(bpy_dir.glob("[0-9]*.[0-9]*"), reverse=True):
        tool = version_dir / "scripts" / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
        tags = version_dir / "scripts" / "modules" / "_bpy_internal" / "extensions" / "tags.py"
        if tool.is_file():
            return tool, tags
    raise BuildError(f"no blender_ext.py found under {bpy_dir}")


def _run_tool(args: list[str]) -> str:
    tool, tags = blender_tools()
    cmd = [sys.executable, str(tool), *args]
    if tags.is_file():
        cmd += ["--valid-tags", str(tags)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 or "error" in output.lower():
        raise BuildError(f"Blender's extension tool ({tool.parent.parent.parent.parent.parent.name}) failed:\n{output}")
    return output


def validate(package: Path) -> str:
    """Run ``blender_ext.py validate`` on a staged folder or a built zip."""
    return _run_tool(["validate", str(package)])


def build(out_dir: Path = DIST, stage_dir: Path = STAGE) -> Path:
    """Stage, validate and zip the extension; returns the zip's path."""
    version = check_versions()
    package = stage(stage_dir)
    validate(package)
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path = out_dir / f"{manifest()['id']}-{version}.zip"
    if zip_path.exists():
        zip_path.unlink()
    _run_tool(["build", "--source-dir", str(package), "--output-dir", str(out_dir)])
    if not zip_path.is_file():
        raise BuildError(f"Blender's extension tool did not write {zip_path}")
    validate(zip_path)
    return zip_path


def typecheck(extra: list[str] | None = None) -> int:
    """mypy on the staged add-on; output paths point at the source tree. Returns mypy's code."""
    package = stage(TYPECHECK_STAGE)
    cmd = [sys.executable, "-m", "mypy", str(package.relative_to(ROOT)), *(extra or [])]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    staged = str(package.relative_to(ROOT))
    for text, stream in ((proc.stdout, sys.stdout), (proc.stderr, sys.stderr)):
        text = text.replace(f"{staged}/core/", "core/").replace(f"{staged}/", "gass_blender/")
        stream.write(text)
    return proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the GASS Blender extension zip.")
    parser.add_argument("--out", type=Path, default=DIST, help="output folder (default dist/)")
    parser.add_argument("--typecheck", action="store_true", help="run mypy on the staged add-on instead")
    args, rest = parser.parse_known_args(argv)
    try:
        if args.typecheck:
            return typecheck(rest)
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        zip_path = build(args.out)
    except BuildError as err:
        print(f"build.py: error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {zip_path.relative_to(ROOT) if zip_path.is_relative_to(ROOT) else zip_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
