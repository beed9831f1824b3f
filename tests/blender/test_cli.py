"""``blender -c gass``: the registered handler, called with an argv list (module mode cannot run -c)."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from . import figures
from .helpers import Scene, pixels_of

pytestmark = pytest.mark.blender


def run(gass: ModuleType, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = gass.cli.command(list(argv))
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, err


def read(bpy: ModuleType, path: Path, *, raw: bool = False) -> tuple[tuple[int, int], np.ndarray, bool]:
    """Size, pixels and float-ness of an image file (raw: the stored values, no colour conversion)."""
    image = bpy.data.images.load(str(path), check_existing=False)
    if raw:
        image.colorspace_settings.name = "Non-Color"
        image.reload()
    try:
        return tuple(image.size), pixels_of(image).reshape(-1, 4), bool(image.is_float)
    finally:
        bpy.data.images.remove(image)


def test_synthesizes_a_png(
    bpy: ModuleType, gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.png"
    names = {im.name for im in bpy.data.images}
    argv = [str(scene.dir / "bark64.png"), "-o", str(out), "--size", "48x32", "--seed", "7", "--quality", "draft"]
    code, err = run(gass, capsys, *argv)
    assert code == 0, err
    assert err[-1].startswith(f"gass: wrote {out}")
    assert {im.name for im in bpy.data.images} == names  # temporary datablocks removed
    size, px, is_float = read(bpy, out)
    assert size == (48, 32) and not is_float
    _, exemplar, _ = read(bpy, scene.dir / "bark64.png")
    figures.batch_contract.assert_within({"spread": float(px[:, :3].std() / exemplar[:, :3].std())}, "blender -c")
    # The same seed in the operator gives the same texture as the command.
    scene.ready(width=48, height=32, seed=7)
    assert bpy.ops.gass.synthesize() == {"FINISHED"}
    result = bpy.data.images["GASS Texture"]
    assert np.abs(pixels_of(result).reshape(-1, 4) - px).max() <= 1 / 255 + 1e-6


def test_two_exemplars_with_weights_and_16_bit_png(
    bpy: ModuleType, gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out16.png"
    ex = [str(scene.dir / "bark64.png"), str(scene.dir / "leather64.png")]
    code, err = run(gass, capsys, *ex, "-o", str(out), "--weights", "1", "0.5", "--size", "32", "--bits", "16",
                    "--quality", "draft", "--quiet")  # fmt: skip
    assert code == 0 and err == []
    assert out.read_bytes()[24] == 16  # PNG bit depth


def test_exr_output_is_linear_float(
    bpy: ModuleType, gass: ModuleType, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png, exr = tmp_path / "a.png", tmp_path / "a.exr"
    common = [str(scene.dir / "bark64.png"), "--size", "32", "--quality", "draft", "--quiet", "--seed", "2"]
    assert run(gass, capsys, *common, "-o", str(png))[0] == 0
    assert run(gass, capsys, *common, "-o", str(exr))[0] == 0
    _, srgb, _ = read(bpy, png)
    _, linear, is_float = read(bpy, exr, raw=True)
    assert is_float
    # The same texture, in linear light (compared in sRGB: the PNG holds 8-bit values).
    assert np.abs(gass.pixels.linear_to_srgb(linear[:, :3]) - srgb[:, :3]).max() <= 1 / 255


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["MISSING.png", "-o", "{tmp}/o.png"], "exemplar file 'MISSING.png' does not exist"),
        (["{dir}/not_an_image.png", "-o", "{tmp}/o.png"], "Blender cannot read its file"),
        (["{dir}/dot1x1.png", "-o", "{tmp}/o.png"], "is 1x1 pixels"),
        (["{dir}/bark64.png", "-o", "{tmp}/o.bmp"], "has extension '.bmp'"),
        (["{dir}/bark64.png", "-o", "{tmp}/no/such/folder/o.png"], "folder of output .* does not exist"),
        (["{dir}/bark64.png", "-o", "{tmp}/o.jpg", "--bits", "16"], "--bits 16 needs a .png or .tif"),
        (["{dir}/bark64.png", "-o", "{tmp}/o.png", "--size", "big"], "argument --size: size 'big' is not WIDTHxHEIGHT"),
        (["{dir}/bark64.png", "-o", "{tmp}/o.png", "--size", "8"], "width is 8; allowed: 16 to 16384"),
        (["{dir}/bark64.png", "-o", "{tmp}/o.png", "--weights", "1", "2"], "weights has 2 values for 1 exemplars"),
        (["{dir}/bark64.png"], "the following arguments are required: -o/--output"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_input_gives_one_line_and_code_2(
    bpy: ModuleType,
    gass: ModuleType,
    scene: Scene,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    names = {im.name for im in bpy.data.images}
    argv = [a.format(tmp=tmp_path, dir=scene.dir) for a in argv]
    code, err = run(gass, capsys, *argv)
    assert code == 2
    assert len(err) == 1 and err[0].startswith("gass: error: "), err
    assert re.search(message, err[0]), err[0]
    assert not list(tmp_path.glob("o.*"))
    assert {im.name for im in bpy.data.images} == names


def test_help(gass: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert gass.cli.command(["--help"]) == 0
    assert "usage: blender -c gass" in capsys.readouterr().out
