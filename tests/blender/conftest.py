"""Blender tests: the real ``bpy`` module with the built extension installed.

Once per session: BLENDER_USER_RESOURCES points at a temporary folder (set
here, before anything imports bpy, so nothing lands in the home folder),
build.py builds the zip, and ``extensions.package_install_files`` installs
and enables it like Install from Disk does. The add-on's module name is
looked up from the installed package, never hard-coded.

If bpy cannot be imported these tests ERROR (they never skip): a run without
Blender must not look green.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from .helpers import Scene

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"

_USER_RESOURCES = tempfile.mkdtemp(prefix="gass-blender-user-")
os.environ["BLENDER_USER_RESOURCES"] = _USER_RESOURCES
atexit.register(shutil.rmtree, _USER_RESOURCES, True)

_EXIT_STATUS = [0]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS[0] = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Work around a crash of the bpy 4.2 *module* at process exit.

    bpy 4.2.23 segfaults in a C++ static destructor (SpaceType -> bpy_class_free
    -> PyGILState_Ensure after Python has been finalized) once an add-on has
    registered classes, even after unregistering them; bpy 5.0 and Blender
    itself are not affected. After pytest has reported, end the process with
    pytest's own exit status before that destructor runs.
    """
    bpy = sys.modules.get("bpy")
    if bpy is None or bpy.app.version >= (5, 0, 0):
        return

    def leave() -> None:
        shutil.rmtree(_USER_RESOURCES, ignore_errors=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[0])

    atexit.register(leave)  # registered last, so it runs first


if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _import_bpy() -> ModuleType:
    try:
        import bpy
    except ImportError as err:
        pytest.fail(
            f"the Blender tests need the bpy module (Python 3.11 with bpy==5.0.1 or bpy==4.2.23): {err}. "
            "Run them with .venv/bin/python or .venv42/bin/python (python3 dev.py test creates both)",
            pytrace=False,
        )
    return bpy


@pytest.fixture(scope="session")
def bpy() -> ModuleType:
    """The real Blender, as a module."""
    return _import_bpy()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension zip, built (and validated by Blender's tool) by build.py."""
    import build

    out = tmp_path_factory.mktemp("dist")
    return build.build(out_dir=out, stage_dir=tmp_path_factory.mktemp("stage"))


@pytest.fixture(scope="session")
def addon_name(bpy: ModuleType, built: Path) -> str:
    """Install and enable the zip; the add-on's module name, e.g. bl_ext.user_default.gass_blender."""
    import build

    result = bpy.ops.extensions.package_install_files(filepath=str(built), repo="user_default", enable_on_install=True)
    assert result == {"FINISHED"}
    package_id = str(build.manifest()["id"])
    installed = bpy.context.preferences.addons.keys()  # (iterating the collection gives values, not names)
    names = [name for name in installed if name.rsplit(".", 1)[-1] == package_id]
    assert len(names) == 1, f"installed add-ons: {list(bpy.context.preferences.addons.keys())}"
    return names[0]


@pytest.fixture(scope="session")
def gass(addon_name: str) -> ModuleType:
    """The installed add-on package (its submodules: session, job, images, files, material, cli, ...)."""
    module = importlib.import_module(addon_name)
    for sub in ("images", "files", "material", "cli", "runner", "pixels", "session", "operators", "properties"):
        importlib.import_module(f"{addon_name}.{sub}")
    return module


@pytest.fixture(scope="session")
def exemplar_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small exemplar files made from the bundled CC0 samples (tests/data)."""
    from PIL import Image

    out = tmp_path_factory.mktemp("exemplars")
    with Image.open(DATA / "bark.png") as im:
        im.convert("RGB").resize((64, 64), Image.Resampling.LANCZOS).save(out / "bark64.png")
    with Image.open(DATA / "leather_red.png") as im:
        im.convert("RGB").resize((64, 64), Image.Resampling.LANCZOS).save(out / "leather64.png")
    with Image.open(DATA / "gravel_gray.png") as im:
        grey = im.convert("L").resize((64, 64), Image.Resampling.LANCZOS)
        grey.save(out / "gravel64.png")
        wide = (np.asarray(grey, dtype=np.float64) * 257).astype(np.uint16)
        Image.fromarray(wide).save(out / "gravel64_16bit.png")  # Blender loads 16-bit PNG as a float image
    with Image.open(DATA / "bark.png") as im:
        rgba = im.convert("RGBA").resize((64, 64), Image.Resampling.LANCZOS)
        rgba.putalpha(Image.linear_gradient("L").resize((64, 64)))  # alpha 0 at the top, 1 at the bottom
        rgba.save(out / "bark64_alpha.png")
    # A regular grid for lattice synthesis: light tiles, 2 px dark joints every 16 px, a little noise.
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:64, 0:64]
    tiles = np.clip(180 + 12 * rng.standard_normal((64, 64)), 0, 255)
    tiles[(y % 16 < 2) | (x % 16 < 2)] = 40
    Image.fromarray(np.repeat(tiles[:, :, None], 3, axis=2).astype(np.uint8)).save(out / "grid64.png")
    Image.new("RGB", (1, 1), (200, 10, 10)).save(out / "dot1x1.png")
    (out / "not_an_image.png").write_bytes(b"this is not a PNG file")
    return out


@pytest.fixture
def scene(bpy: ModuleType, gass: ModuleType, exemplar_dir: Path) -> Iterator[Scene]:
    """A fresh empty file with the add-on enabled; any running session is cancelled afterwards."""
    bpy.ops.wm.read_homefile(use_empty=True)
    yield Scene(bpy, exemplar_dir)
    gass.session.abort_active()


@pytest.fixture
def images_of(bpy: ModuleType) -> Callable[[], set[str]]:
    """Names of all image datablocks now."""
    return lambda: {im.name for im in bpy.data.images}
