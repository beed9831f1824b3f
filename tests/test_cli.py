"""``python -m core``: files in, file out, one clear line on bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.cli import main, parse_size
from core.imageio import read_image, write_image

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--quality", "draft", "--size", "32x24", "--quiet"]


@pytest.fixture()
def exemplar_png(tmp_path: Path) -> Path:
    path = tmp_path / "bark.png"
    Image.open(ROOT / "tests" / "data" / "bark.png").convert("RGB").resize((48, 48)).save(path)
    return path


def test_writes_a_png_of_the_requested_size(exemplar_png: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    assert main([str(exemplar_png), "-o", str(out), "--seed", "3", *FAST]) == 0
    with Image.open(out) as im:
        assert im.size == (32, 24)
        assert im.mode == "RGB"


def test_runs_as_a_module(exemplar_png: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jpg"
    proc = subprocess.run(
        [sys.executable, "-m", "core", str(exemplar_png), "-o", str(out), "--quality", "draft", "--size", "32"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "100.0%" in proc.stderr
    assert out.stat().st_size > 0


def test_two_exemplars_with_weights(exemplar_png: Path, tmp_path: Path) -> None:
    out = tmp_path / "mix.tif"
    assert main([str(exemplar_png), str(exemplar_png), "--weights", "1", "0", "-o", str(out), *FAST]) == 0
    assert read_image(out).shape == (24, 32, 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.png"], "does not exist"),
        (["NOT_AN_IMAGE"], "is not a readable image file"),
        (["EXEMPLAR", "--weights", "1", "2"], "weights has 2 values for 1 exemplars"),
        (["EXEMPLAR", "--size", "8x8"], "width is 8; allowed: 16 to 16384"),
        (["TINY"], "at least 14x14 is needed"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_output(
    args: list[str], message: str, exemplar_png: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "NOT_AN_IMAGE").write_text("hello")
    Image.new("RGB", (1, 1)).save(tmp_path / "TINY.png")
    names = {
        "EXEMPLAR": str(exemplar_png),
        "NOT_AN_IMAGE": str(tmp_path / "NOT_AN_IMAGE"),
        "TINY": str(tmp_path / "TINY.png"),
        "missing.png": str(tmp_path / "missing.png"),
    }
    out = tmp_path / "out.png"
    code = main([names.get(a, a) for a in args] + ["-o", str(out), "--quality", "draft", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("gass: error: ") and message in err[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".gass-*"))


def test_arguments_become_one_job() -> None:
    from core.cli import job_from_args, parse

    options = ["--size", "640x320", "--quality", "high", "--regularity", "on", "--detail", "ascent"]
    args = parse(["a.png", "b.png", "-o", "c.png", *options])
    assert not isinstance(args, int)
    read: dict[str, np.ndarray] = {"a.png": np.zeros((32, 32, 3)), "b.png": np.zeros((32, 32, 1))}
    job = job_from_args(args, read.__getitem__)
    assert job.kind == "new" and job.names == ("a.png", "b.png")
    assert [im.shape for im in job.images] == [(32, 32, 3), (32, 32, 3)]  # grey broadcast beside colour
    config = job.config()
    assert (config.width, config.height, config.regularity, config.directions) == (640, 320, "on", 64)
    assert config.detail == "ascent"
    tile = parse(["tile", "a.png", "-o", "c.png", "--border", "0.2"])
    assert not isinstance(tile, int)
    job = job_from_args(tile, read.__getitem__)
    assert (job.kind, job.settings.border, job.settings.seed, job.config().width) == ("tile", 0.2, 0, 32)
    equalize = parse(["equalize", "b.png", "-o", "c.png", "--scale", "0.25"])
    assert not isinstance(equalize, int)
    job = job_from_args(equalize, read.__getitem__)
    assert (job.kind, job.names, job.settings.equalize_scale) == ("equalize", ("b.png",), 0.25)
    assert not job.settings.equalize  # the job itself, not the option that equalizes a job's inputs
    assert job.images[0].shape == (32, 32, 1)


def test_bad_size_text_is_rejected() -> None:
    assert parse_size("1024") == (1024, 1024)
    assert parse_size("640x480") == (640, 480)
    with pytest.raises(Exception, match="not WIDTHxHEIGHT"):
        parse_size("big")


def test_reads_16_bit_grey_and_float_tiff(tmp_path: Path) -> None:
    ramp = (np.arange(40 * 40, dtype=np.uint16).reshape(40, 40) * 40).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    g16 = read_image(tmp_path / "g16.png")
    assert g16.shape == (40, 40, 1) and g16.dtype == np.float32
    np.testing.assert_allclose(g16[:, :, 0], ramp / 65535.0, atol=1e-6)
    Image.fromarray(np.full((20, 20), 0.25, np.float32)).save(tmp_path / "f.tif")
    assert float(read_image(tmp_path / "f.tif").mean()) == pytest.approx(0.25)


def test_writes_16_bit_grey_exactly(tmp_path: Path) -> None:
    img = np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32, 1)
    write_image(tmp_path / "g.png", img, bits=16)
    np.testing.assert_allclose(read_image(tmp_path / "g.png"), img, atol=1 / 65535)


def test_rgba_reads_four_channels(tmp_path: Path) -> None:
    Image.new("RGBA", (20, 20), (10, 20, 30, 128)).save(tmp_path / "a.png")
    a = read_image(tmp_path / "a.png")
    assert a.shape == (20, 20, 4)
    assert a[0, 0, 3] == pytest.approx(128 / 255)


# --- tile, fill, pbr ----------------------------------------------------------------------------

JOB = ["--quality", "draft", "--quiet"]  # the jobs that synthesize (tile and equalize take no --quality)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gass: error: "), err
    return err[0]


@pytest.fixture()
def grey_pngs(tmp_path: Path) -> dict[str, Path]:
    """48x48 gravel as a grey height map (also stored as RGB) and its normal map, all PNG."""
    from core.maps import normals_from_height

    grey = Image.open(ROOT / "tests" / "data" / "gravel_gray.png").convert("L").resize((48, 48))
    height = np.asarray(grey, dtype=np.float32) / 255
    paths = {"height": tmp_path / "h.png", "height_rgb": tmp_path / "h_rgb.png", "normal": tmp_path / "n.png"}
    grey.save(paths["height"])
    grey.convert("RGB").save(paths["height_rgb"])
    write_image(paths["normal"], normals_from_height(height, 4.0, periodic=False))
    return paths


def test_tile_writes_make_tileable_of_the_image_at_its_size(exemplar_png: Path, tmp_path: Path) -> None:
    from core.seamless import make_tileable

    out = tmp_path / "tiled.png"
    assert main(["tile", str(exemplar_png), "-o", str(out), "--border", "0.2", "--quiet"]) == 0
    before, after = read_image(exemplar_png), read_image(out)
    assert after.shape == before.shape == (48, 48, 3)
    # The job's result, written as 8-bit: make_tileable of the file's pixels to within rounding.
    assert np.abs(after - make_tileable(before, border=0.2)).max() <= 0.5 / 255 + 1e-6
    assert not np.array_equal(after, before)


def test_fill_with_a_mask_file(exemplar_png: Path, tmp_path: Path) -> None:
    mask = np.zeros((48, 48), np.uint8)
    mask[16:32, 12:36] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "filled.png"
    assert main(["fill", str(exemplar_png), "--mask", str(tmp_path / "mask.png"), "-o", str(out), *JOB]) == 0
    before, after = read_image(exemplar_png), read_image(out)
    assert after.shape == before.shape
    known = mask == 0
    assert np.array_equal(after[known], before[known])
    assert not np.array_equal(after[~known], before[~known])


def test_fill_from_the_alpha_of_the_image(exemplar_png: Path, tmp_path: Path) -> None:
    rgba = np.asarray(Image.open(exemplar_png).convert("RGBA")).copy()
    rgba[:, :, 3] = 200
    rgba[16:32, 12:36, 3] = 0  # transparent = fill
    Image.fromarray(rgba, "RGBA").save(tmp_path / "holed.png")
    out = tmp_path / "filled.png"
    assert main(["fill", str(tmp_path / "holed.png"), "-o", str(out), *JOB]) == 0
    with Image.open(out) as im:
        assert im.mode == "RGBA"
        result = np.asarray(im)
    hole = rgba[:, :, 3] == 0
    assert np.all(result[hole, 3] == 255)
    assert np.array_equal(result[~hole], rgba[~hole])


def test_pbr_writes_one_file_per_map(exemplar_png: Path, grey_pngs: dict[str, Path], tmp_path: Path) -> None:
    maps = f"color={exemplar_png},normal={grey_pngs['normal']},height={grey_pngs['height']}"
    out = tmp_path / "out" / "stone_{map}.png"
    out.parent.mkdir()
    assert main(["pbr", maps, "-o", str(out), "--bits", "16", *FAST]) == 0
    written = sorted(p.name for p in out.parent.iterdir())
    assert written == ["stone_color.png", "stone_height.png", "stone_normal.png"]
    modes = {}
    for kind in ("color", "normal", "height"):
        with Image.open(out.parent / f"stone_{kind}.png") as im:
            assert im.size == (32, 24)
            modes[kind] = im.mode
    assert modes == {"color": "RGB", "normal": "RGB", "height": "I;16"}
    n = read_image(out.parent / "stone_normal.png") * 2 - 1
    assert np.abs(np.linalg.norm(n, axis=2) - 1).max() < 0.02  # unit length, up to 8-bit rounding
    assert n[:, :, 2].min() >= 0.0


def test_pbr_output_needs_a_map_placeholder(
    exemplar_png: Path, grey_pngs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "stone.png"
    code = main(["pbr", f"color={exemplar_png},height={grey_pngs['height']}", "-o", str(out), *FAST])
    assert code == 2
    assert "has no {map} in it" in _one_error_line(capsys)
    assert list(tmp_path.glob("stone*")) == []


def test_pbr_unknown_map_kind_is_one_error_line(
    exemplar_png: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "stone_{map}.png"
    code = main(["pbr", f"color={exemplar_png},gloss={exemplar_png}", "-o", str(out), *FAST])
    assert code == 2
    assert "map kind 'gloss' is unknown; allowed: color, normal" in _one_error_line(capsys)
    assert list(tmp_path.glob("stone_*")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pbr", "color=EXEMPLAR", "normal=HEIGHT"], "every map set needs the same kinds"),
        (["pbr", "normal=HEIGHT"], "the normal map of exemplar 'h.png' is a grey image"),
        (["pbr", "normal=RGB_HEIGHT"], "does not look like a tangent-space normal map"),
        (["fill", "EXEMPLAR"], "bark.png has no alpha channel and no mask was given"),
        (["fill", "EXEMPLAR", "--mask", "SMALL"], "the mask is 20x20 pixels but bark.png is 48x48"),
        (["tile", "EXEMPLAR", "--border", "0.5"], "border is 0.5; allowed: 0.02 to 0.4"),
    ],
)
def test_bad_job_input_exits_2_with_one_line(
    args: list[str],
    message: str,
    exemplar_png: Path,
    grey_pngs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Image.new("L", (20, 20), 255).save(tmp_path / "small.png")
    names = {
        "EXEMPLAR": str(exemplar_png),
        "RGB_HEIGHT": str(grey_pngs["height_rgb"]),
        "HEIGHT": str(grey_pngs["height"]),
        "SMALL": str(tmp_path / "small.png"),
    }
    argv = []
    for arg in args:
        for key, path in names.items():
            arg = arg.replace(key, path)
        argv.append(arg)
    out = tmp_path / "out_{map}.png"
    assert main([*argv, "-o", str(out), *(["--quiet"] if args[0] == "tile" else JOB)]) == 2
    assert message in _one_error_line(capsys)
    assert not list(tmp_path.glob("out_*"))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [([], "EXEMPLAR"), (["tile"], "--border"), (["fill"], "--mask"), (["pbr"], "{map}"), (["equalize"], "--scale")],
)
def test_help_of_every_mode(mode: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*mode, "--help"]) == 0
    text = capsys.readouterr().out
    assert expected in text
    # --seed and --quality only where something is drawn at random.
    synthesizes = mode[:1] not in (["tile"], ["equalize"])
    assert ("--seed" in text, "--quality" in text) == (synthesizes, synthesizes)


def test_equalize_option_of_new_tile_and_pbr() -> None:
    from core.cli import parse, settings_from_args

    cases = {
        ("a.png", "-o", "b.png"): (False, 0.125),
        ("a.png", "-o", "b.png", "--equalize"): (True, 0.125),
        ("tile", "a.png", "-o", "b.png", "--equalize", "0.25"): (True, 0.25),
    }
    for argv, expected in cases.items():
        args = parse(list(argv))
        assert not isinstance(args, int)
        settings = settings_from_args(args)
        assert (settings.equalize, settings.equalize_scale) == expected
    assert parse(["fill", "a.png", "-o", "b.png", "--equalize"]) == 2  # fill keeps its pixels: no such option
