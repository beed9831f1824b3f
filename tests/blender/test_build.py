"""The extension package: versions, manifest, zip contents, Blender's validator, clean loading."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

import build

pytestmark = pytest.mark.blender


def test_versions_agree(gass: ModuleType) -> None:
    manifest_version = build.manifest()["version"]
    assert manifest_version == build.core_version() == build.project_version()
    assert gass.core.__version__ == manifest_version  # the code inside the installed extension


def test_manifest_is_what_the_issue_asks() -> None:
    m = build.manifest()
    assert m["license"] == ["SPDX:GPL-3.0-or-later"]
    assert m["type"] == "add-on"
    assert m["blender_version_min"] == "4.2.0"
    assert "network" not in m.get("permissions", {})  # type: ignore[operator]
    tagline = str(m["tagline"])
    assert len(tagline) <= 64 and tagline[-1].isalnum()

    def no_empty(value: object) -> None:
        assert value not in ("", [], {}), f"empty value in manifest: {m}"
        if isinstance(value, dict):
            for v in value.values():
                no_empty(v)
        if isinstance(value, list):
            for v in value:
                no_empty(v)

    no_empty(m)


def test_zip_layout(built: Path) -> None:
    with zipfile.ZipFile(built) as zf:
        names = zf.namelist()
    assert built.name == f"gass_blender-{build.core_version()}.zip"
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert "core/__init__.py" in names and "core/synth.py" in names  # the vendored engine
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_blenders_validator_accepts_the_zip(built: Path) -> None:
    output = build.validate(built)
    assert "success" in output.lower() or output == ""


def test_check_imports_refuses_absolute_imports(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import core\nfrom PIL import Image\n")
    with pytest.raises(build.BuildError, match="absolute import of core"):
        build.check_imports(tmp_path)


def test_addon_loads_in_a_fresh_blender_without_pillow(built: Path, tmp_path: Path, bpy: ModuleType) -> None:
    """Install from disk in a new process: registers, imports no Pillow, unregisters cleanly."""
    script = textwrap.dedent(
        f"""
        import sys, bpy
        bpy.ops.extensions.package_install_files(filepath={str(built)!r}, repo="user_default",
                                                 enable_on_install=True)
        name = [n for n in bpy.context.preferences.addons.keys() if n.endswith(".gass_blender")][0]
        assert hasattr(bpy.types.Scene, "gass"), "Scene.gass missing"
        assert "PIL" not in sys.modules, "Pillow was imported"
        bpy.ops.preferences.addon_disable(module=name)
        assert not hasattr(bpy.types.Scene, "gass")
        print("OK", name, flush=True)
        if bpy.app.version < (5, 0, 0):  # bpy 4.2 module crashes at exit (see conftest.pytest_unconfigure)
            import os
            os._exit(0)
        """
    )
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OK bl_ext.user_default.gass_blender" in proc.stdout
