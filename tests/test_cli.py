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
        (["EXEMPLAR", "--weights", "1", "2"], "--weights has 2 values for 1 exemplars"),
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


def test_arguments_become_one_config() -> None:
    from core.cli import build_parser, config_from_args

    args = build_parser().parse_args(
        ["a.png", "-o", "b.png", "--size", "640x320", "--quality", "high", "--regularity", "0.5"]
    )
    config = config_from_args(args)
    assert (config.width, config.height, config.spectrum_weight, config.directions) == (640, 320, 0.5, 64)


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
