"""Issue 11, the engine side: no traceback, no lost file, refused early, messages that say what is wrong.

Every command-line case asserts the exit code, that exactly one line reaches
stderr, and that no file in the folder was created, changed or lost (every
file, hidden ones too, hashed before and after). Signal cases run
``python -m core`` as a subprocess and signal it once its progress shows on
stderr, or signal the test process itself from inside a write.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import InvalidConfigError, InvalidExemplarError, MapSet, SynthesisConfig, Synthesizer, make_tileable
from core.cli import file_state, interrupted_message, main, match_channels
from core.errors import ImageFileError, Terminated
from core.exemplars import MAX_EXEMPLAR_PIXELS, MAX_PIXEL_VALUE, as_float_image, check_weights
from core.imageio import check_output_path, read_image, write_atomically, write_image

ROOT = Path(__file__).resolve().parents[1]
DRAFT = ["--quality", "draft", "--size", "32"]


def draft(args: list[str]) -> list[str]:
    """Fast options for a job (fill takes the image's size; tile and equalize take neither size nor quality)."""
    if args[0] in ("tile", "equalize"):
        return []
    return ["--quality", "draft"] if args[0] == "fill" else DRAFT


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) -> sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".gass-*"))


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    """Small inputs: colour bark 48x48, grey gravel 40x40, an RGBA bark, a mask, a normal map, a 12x12 image,
    and an existing output 'previous.png' that must survive every failure."""
    bark = Image.open(ROOT / "tests" / "data" / "bark.png").convert("RGB").resize((48, 48))
    grey = Image.open(ROOT / "tests" / "data" / "gravel_gray.png").convert("L").resize((48, 48))
    paths = {
        "bark": tmp_path / "bark.png",
        "grey": tmp_path / "grey.png",
        "rgba": tmp_path / "rgba.png",
        "mask": tmp_path / "mask.png",
        "tiny": tmp_path / "tiny.png",
        "previous": tmp_path / "previous.png",
        "color": tmp_path / "color.png",
    }
    bark.save(paths["bark"])
    bark.save(paths["color"])
    grey.save(paths["grey"])
    rgba = np.asarray(bark.convert("RGBA")).copy()
    rgba[16:32, 16:32, 3] = 0
    Image.fromarray(rgba, "RGBA").save(paths["rgba"])
    mask = np.zeros((48, 48), np.uint8)
    mask[16:32, 12:36] = 255
    Image.fromarray(mask).save(paths["mask"])
    Image.new("RGB", (12, 12), (90, 60, 30)).save(paths["tiny"])
    Image.new("RGB", (32, 32), (1, 2, 3)).save(paths["previous"])
    return paths


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(argv)
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def expand(args: list[str], files: dict[str, Path]) -> list[str]:
    """Replace {name} by the path of that fixture file (and {dir} by their folder)."""
    names = {k: str(v) for k, v in files.items()} | {"dir": str(files["bark"].parent)}
    return [a.format(**names) for a in args]


def assert_one_error(code: int, err: list[str], expected_code: int, message: str) -> None:
    assert code == expected_code, err
    assert len(err) == 1, err
    assert err[0].startswith("gass: error: "), err
    assert message in err[0], err[0]


# --- numeric options: one line, exit 2, nothing touched ------------------------------------------

NUMERIC = [
    (["{bark}", "--seed", "-1"], "argument --seed: seed is -1; allowed: 0 to 2147483647"),
    (["{bark}", "--seed", str(2**31)], "seed is 2147483648; allowed: 0 to 2147483647"),
    (["{bark}", "--seed", "1.5"], "seed '1.5' is not a whole number"),
    (["{bark}", "--size", "0"], "width is 0; allowed: 16 to 16384"),
    (["{bark}", "--size", "64x20000"], "height is 20000; allowed: 16 to 16384"),
    (["{bark}", "--size", "-64"], "width is -64"),
    (["{bark}", "--weights", "nan"], "weight is nan; each must be a finite number >= 0"),
    (["{bark}", "--weights", "inf"], "weight is inf; each must be a finite number >= 0"),
    (["{bark}", "--weights", "-1"], "weight is -1; each must be a finite number >= 0"),
    (["{bark}", "{bark}", "--weights", "0", "0"], "weights are [0, 0]; at least one must be > 0"),
    (["{bark}", "--regularity", "0.5"], "argument --regularity: invalid choice: '0.5'"),
    (["{bark}", "--detail", "sharp"], "argument --detail: invalid choice: 'sharp'"),
    (["tile", "{bark}", "--border", "nan"], "argument --border: border is nan; allowed: 0.02 to 0.4"),
    (["tile", "{bark}", "--border", "-0.1"], "border is -0.1"),
    (["equalize", "{bark}", "--scale", "0"], "argument --scale: scale is 0; allowed: 0.02 to 1"),
    (["equalize", "{bark}", "--scale", "nan"], "scale is nan"),
    (["tile", "{bark}", "--seed", "3"], "unrecognized arguments: --seed 3"),  # nothing random to seed
    (["equalize", "{bark}", "--seed", "3"], "unrecognized arguments: --seed 3"),
    (["fill", "{bark}", "--mask", "{mask}", "--seed", "-5"], "seed is -5"),
    (["pbr", "color={bark}", "--seed", "-1"], "seed is -1"),
]


@pytest.mark.parametrize(("args", "message"), NUMERIC)
def test_out_of_range_numbers_are_one_line_and_exit_2(
    args: list[str], message: str, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(tmp_path)
    out = "{dir}/out_{{map}}.png" if args[0] == "pbr" else "{dir}/out.png"
    quality = [] if args[0] in ("tile", "equalize") else ["--quality", "draft"]
    code, err = run_main(expand([*args, "-o", out, *quality], files), capsys)
    assert_one_error(code, err, 2, message)
    assert snapshot(tmp_path) == before


def test_out_of_range_seed_is_one_line_from_a_subprocess(files: dict[str, Path], tmp_path: Path) -> None:
    """The reported case exactly, as a user runs it."""
    out = tmp_path / "out.png"
    before = snapshot(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "core", str(files["bark"]), "-o", str(out), "--size", "64", "--seed", "-1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "gass: error: argument --seed: seed is -1; allowed: 0 to 2147483647 (see python -m core --help)"
    ]
    assert snapshot(tmp_path) == before


# --- outputs: checked before any image is read, never an input -----------------------------------

OUTPUTS = [
    (["{bark}", "-o", "{dir}"], "is a directory; give a file name"),
    (["{bark}", "-o", "{dir}/missing/out.png"], "the folder of output"),
    (["{bark}", "-o", "{bark}/out.png"], "is not a folder"),
    (["{bark}", "-o", "{dir}/out.bmp"], "has extension '.bmp'"),
    (["{bark}", "-o", "{dir}/out.jpg", "--bits", "16"], "--bits 16 needs a .png or .tif output, not '.jpg'"),
    (["{bark}", "-o", "{bark}"], "is the input file"),
    (["{grey}", "{bark}", "-o", "{bark}"], "is the input file"),
    (["tile", "{bark}", "-o", "{bark}"], "is the input file"),
    (["equalize", "{bark}", "-o", "{bark}"], "is the input file"),
    (["fill", "{bark}", "--mask", "{mask}", "-o", "{mask}"], "is the input file"),
    (["fill", "{rgba}", "-o", "{rgba}"], "is the input file"),
    (["pbr", "color={color},height={grey}", "-o", "{dir}/{{map}}.png"], "is the input file"),
    (["pbr", "color={bark},height={grey}", "-o", "{dir}/out_{{map}}.jpg", "--bits", "16"], "--bits 16 needs"),
    (["pbr", "color={bark},height={grey}", "-o", "{dir}/out.png"], "has no {map} in it"),
]


@pytest.mark.parametrize(("args", "message"), OUTPUTS)
def test_bad_outputs_are_refused_before_reading_any_image(
    args: list[str],
    message: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.imageio

    def no_reading(*_: object, **__: object) -> np.ndarray:
        raise AssertionError("an image was read before the output was checked")

    monkeypatch.setattr(core.imageio, "read_image", no_reading)
    before = snapshot(tmp_path)
    code, err = run_main(expand([*args, *draft(args)], files), capsys)  # no --quiet: no progress line may appear
    assert_one_error(code, err, 2, message)
    assert snapshot(tmp_path) == before


def test_output_through_a_symlink_or_hard_link_to_the_input_is_refused(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "link.png").symlink_to(files["bark"])
    os.link(files["bark"], tmp_path / "hard.png")
    before = snapshot(tmp_path)
    for name in ("link.png", "hard.png"):
        code, err = run_main([str(files["bark"]), "-o", str(tmp_path / name), *DRAFT], capsys)
        assert_one_error(code, err, 2, "is the input file")
    relative = os.path.relpath(files["bark"])  # the same file spelt differently
    code, err = run_main([relative, "-o", str(files["bark"]), *DRAFT], capsys)
    assert_one_error(code, err, 2, "is the input file")
    assert snapshot(tmp_path) == before


def test_unwritable_folder_is_refused_before_reading(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.access says no (a read-only folder for a normal user), or the probe file cannot be created (a
    read-only file system, or root on one): both are one line before any work."""
    import core.imageio

    folder = tmp_path / "locked"
    folder.mkdir()
    before = snapshot(tmp_path)
    real_access = os.access
    monkeypatch.setattr(core.imageio.os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode))
    code, err = run_main([str(files["bark"]), "-o", str(folder / "out.png"), *DRAFT], capsys)
    assert_one_error(code, err, 2, "is not writable (permission denied)")
    monkeypatch.setattr(core.imageio.os, "access", real_access)

    def read_only(_: Path) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(core.imageio, "_probe_writable", read_only)
    code, err = run_main(["tile", str(files["bark"]), "-o", str(folder / "out.png")], capsys)
    assert_one_error(code, err, 2, "is not writable (read-only file system)")
    assert snapshot(tmp_path) == before


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process really cannot create files in: a read-only one, or /proc for root
    (who may write to any read-only folder; nobody creates files in /proc)."""
    if os.geteuid() == 0:
        return Path("/proc")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def test_unwritable_folder_for_real(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _unwritable_folder(tmp_path)
    try:
        code, err = run_main([str(files["bark"]), "-o", str(folder / "out.png"), *DRAFT], capsys)
        assert_one_error(code, err, 2, "is not writable")
        assert not (folder / "out.png").exists()
        assert not [p for p in folder.iterdir() if p.name.startswith((".gass", "out"))]
    finally:
        if folder != Path("/proc"):
            folder.chmod(0o755)


def test_probe_leaves_nothing_behind(tmp_path: Path) -> None:
    assert check_output_path(tmp_path / "out.png") == tmp_path / "out.png"
    assert list(tmp_path.iterdir()) == []


def test_check_output_path_takes_the_hosts_extensions(tmp_path: Path) -> None:
    """Blender passes its own list (it writes OpenEXR too); EXR is float, so --bits 16 is refused there."""
    exr = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr")
    assert check_output_path(str(tmp_path / "out.exr"), extensions=exr) == tmp_path / "out.exr"
    with pytest.raises(ImageFileError, match=r"has extension '\.exr'"):
        check_output_path(str(tmp_path / "out.exr"))
    with pytest.raises(ImageFileError, match=r"--bits 16 needs a \.png or \.tif output, not '\.exr'"):
        check_output_path(str(tmp_path / "out.exr"), bits=16, extensions=exr)
    with pytest.raises(ImageFileError, match="bits is 12; use 8 or 16"):
        check_output_path(str(tmp_path / "out.png"), bits=12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["{bark}", "-o", "{dir}/out.png", "--bits", "16"],
            "--bits 16 is for grey results only and this one is colour",
        ),
        (["tile", "{rgba}", "-o", "{dir}/out.tif", "--bits", "16"], "this one is colour and alpha"),
        (["equalize", "{bark}", "-o", "{dir}/out.png", "--bits", "16"], "this one is colour"),
        (["pbr", "color={bark}", "-o", "{dir}/o_{{map}}.png", "--bits", "16"], "this set has none"),
    ],
)
def test_16_bits_for_colour_is_refused_before_the_first_iteration(
    args: list[str], message: str, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(tmp_path)
    code, err = run_main(expand([*args, *draft(args)], files), capsys)  # progress would be a 2nd line
    assert_one_error(code, err, 2, message)
    assert snapshot(tmp_path) == before


# --- inputs: what the file is, what the image needs ----------------------------------------------

INPUTS = [
    (["{dir}", "-o", "{dir}/out.png"], "exemplar '{dir}' is a directory, not an image file"),
    (["{dir}/nope.png", "-o", "{dir}/out.png"], "exemplar file '{dir}/nope.png' does not exist"),
    (["fill", "{bark}", "--mask", "{dir}/nope.png", "-o", "{dir}/out.png"], "mask file '{dir}/nope.png' does not"),
    (["fill", "{bark}", "--mask", "{dir}", "-o", "{dir}/out.png"], "mask '{dir}' is a directory"),
    (["tile", "{dir}/nope.png", "-o", "{dir}/out.png"], "image file '{dir}/nope.png' does not exist"),
    (
        ["tile", "{tiny}", "-o", "{dir}/out.png"],
        "tiny.png is 12x12 pixels; make tileable needs an image of at least 32x32",
    ),
    (["equalize", "{dir}/nope.png", "-o", "{dir}/out.png"], "image file '{dir}/nope.png' does not exist"),
    (["fill", "{tiny}", "--mask", "{tiny}", "-o", "{dir}/out.png"], "tiny.png is 12x12 pixels; fill needs an image"),
]


@pytest.mark.parametrize(("args", "message"), INPUTS)
def test_bad_inputs_say_what_is_wrong(
    args: list[str], message: str, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(tmp_path)
    code, err = run_main(expand([*args, *draft(args)], files), capsys)
    assert_one_error(code, err, 2, expand([message], files)[0])
    assert "allowed: 16 to 16384" not in err[0]
    assert snapshot(tmp_path) == before


def test_unreadable_file_says_permission_denied(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*_: object, **__: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Image, "open", denied)
    code, err = run_main([str(files["bark"]), "-o", str(tmp_path / "out.png"), *DRAFT], capsys)
    assert_one_error(code, err, 2, "cannot be read: permission denied")


def test_an_oversized_exemplar_is_refused_from_its_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import ImageFile

    big = tmp_path / "big.png"
    Image.new("L", (4097, 4096)).save(big)

    def no_decoding(self: object) -> None:
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    before = snapshot(tmp_path)
    code, err = run_main([str(big), "-o", str(tmp_path / "out.png"), *DRAFT], capsys)
    assert_one_error(
        code, err, 2, "big.png' is 4097x4096 pixels; exemplars can be at most 16.8 megapixels (4096x4096): use a"
    )
    assert snapshot(tmp_path) == before


def test_an_image_pillow_will_not_open_gets_the_same_message(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 48x48 is beyond twice that: Pillow raises
    code, err = run_main([str(files["bark"]), "-o", str(tmp_path / "out.png"), *DRAFT], capsys)
    assert_one_error(code, err, 2, "bark.png' has more than 0.002 megapixels; exemplars can be at most 16.8 megapixels")


def test_the_engine_has_the_same_size_limit() -> None:
    assert MAX_EXEMPLAR_PIXELS == 4096 * 4096
    huge = np.broadcast_to(np.float32(0.5), (4097, 4096, 3))  # no memory behind it
    with pytest.raises(InvalidExemplarError, match=r"'bark\.png' is 4096x4097 pixels; exemplars can be at most 16\.8"):
        Synthesizer([huge], names=["bark.png"])
    with pytest.raises(InvalidExemplarError, match=r"at most 16\.8 megapixels"):
        make_tileable(huge)
    assert as_float_image(np.broadcast_to(np.float32(0.5), (4096, 4096, 1)), "ok").shape == (4096, 4096, 1)


# --- numeric extremes in pixels and weights -------------------------------------------------------

BARK = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)


@pytest.mark.parametrize("value", [1e10, -1e30, float(np.finfo(np.float32).max), 1e4 * 1.001])
def test_huge_pixel_values_are_a_clear_error_in_every_job(value: float) -> None:
    image = BARK.copy()
    image[3:5, 7:9] = value
    message = r"has 4 pixels with values beyond \+-10000"
    with pytest.raises(InvalidExemplarError, match=message):
        Synthesizer([image])
    with pytest.raises(InvalidExemplarError, match=message):
        make_tileable(image)
    with pytest.raises(InvalidExemplarError, match=message):
        Synthesizer([MapSet({"color": image, "height": BARK[:, :, 0]})])


def test_values_at_the_limit_still_synthesize() -> None:
    """Near-grey RGB at the largest allowed scale: the case that gave LinAlgError at 1e10 runs."""
    near_grey = np.repeat(BARK[:, :, :1], 3, axis=2) + np.float32(1e-3) * BARK
    image = (near_grey * np.float32(MAX_PIXEL_VALUE * 0.99)).astype(np.float32)
    out = Synthesizer([image], config=SynthesisConfig.preset("draft", width=16, height=16)).run()
    assert np.all(np.isfinite(out))


def test_a_float_tiff_with_huge_values_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Image.fromarray(np.full((32, 32), 1e10, np.float32)).save(tmp_path / "hdr.tif")
    before = snapshot(tmp_path)
    code, err = run_main([str(tmp_path / "hdr.tif"), "-o", str(tmp_path / "out.png"), *DRAFT], capsys)
    assert_one_error(code, err, 2, "hdr.tif' has 1024 pixels with values beyond +-10000 (up to 1e+10)")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("weights", "shown"), [([1.0, -1.0], "[1, -1]"), ([0.5, float("nan")], "[0.5, nan]")])
def test_weight_errors_print_plain_numbers(weights: list[float], shown: str) -> None:
    with pytest.raises(InvalidExemplarError) as info:
        check_weights(weights, 2)
    assert f"weights are {shown}; each must be" in str(info.value)
    assert "np." not in str(info.value)


def test_regularity_is_named_as_users_know_it() -> None:
    with pytest.raises(InvalidConfigError, match=r"spectrum_weight \(regularity\) is 20"):
        SynthesisConfig(spectrum_weight=20.0)


def _synthesis_does(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Make every Synthesizer's steps run ``action`` (which raises) instead of synthesizing."""

    def steps(self: Synthesizer) -> Iterator[object]:
        action()
        yield

    monkeypatch.setattr(Synthesizer, "steps", steps)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (FloatingPointError("the synthesis diverged at level 1 of 2 (24x24), iteration 1"), "failed (the synthesis"),
        (MemoryError(), "the synthesis ran out of memory; no output written"),
    ],
)
def test_a_failing_synthesis_is_one_line_and_exit_1(
    error: BaseException,
    message: str,
    files: dict[str, Path],
    previous: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _synthesis_does(monkeypatch, _raise(error))
    before = snapshot(previous.parent)
    code, err = run_main([str(files["bark"]), "-o", str(previous), *DRAFT], capsys)
    assert_one_error(code, err, 1, message)
    assert snapshot(previous.parent) == before


@pytest.mark.parametrize(
    ("interrupt", "code", "line"),
    [
        (Terminated("terminated by signal 15"), 143, "gass: terminated; no output written"),
        (KeyboardInterrupt(), 130, "gass: cancelled; no output written"),
    ],
)
def test_a_signal_inside_a_locks_bookkeeping_is_the_signal(
    interrupt: KeyboardInterrupt,
    code: int,
    line: str,
    files: dict[str, Path],
    previous: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A signal between a Condition.wait releasing its lock and noting it surfaces as the `with`
    statement's RuntimeError (cannot release un-acquired lock) raised while the interrupt propagates."""

    def wait() -> None:
        try:
            raise interrupt
        except KeyboardInterrupt:
            raise RuntimeError("cannot release un-acquired lock")  # noqa: B904 (implicit context, as threading)

    _synthesis_does(monkeypatch, wait)
    before = snapshot(previous.parent)
    assert run_main([str(files["bark"]), "-o", str(previous), *DRAFT, "--quiet"], capsys) == (code, [line])
    assert snapshot(previous.parent) == before


def test_a_runtime_error_of_its_own_is_not_taken_for_a_signal(
    files: dict[str, Path], previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _synthesis_does(monkeypatch, _raise(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        main([str(files["bark"]), "-o", str(previous), *DRAFT, "--quiet"])


# --- grey with colour, as Blender accepts them ----------------------------------------------------


def test_grey_and_colour_exemplars_together(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "mix.png"
    assert main([str(files["grey"]), str(files["bark"]), "-o", str(out), *DRAFT, "--quiet"]) == 0
    with Image.open(out) as im:
        assert (im.mode, im.size) == ("RGB", (32, 32))


def test_match_channels_broadcasts_grey_and_adds_opaque_alpha() -> None:
    grey, rgb, rgba = np.full((4, 4, 1), 0.25), np.zeros((4, 4, 3)), np.full((4, 4, 4), 0.5)
    a, b = match_channels([grey, rgb], alpha=False)
    assert a.shape == (4, 4, 3) and np.all(a == 0.25) and b.shape == (4, 4, 3)
    a, b = match_channels([grey, rgba], alpha=True)
    assert a.shape == b.shape == (4, 4, 4)
    assert np.all(a[:, :, 3] == 1.0) and np.all(b[:, :, 3] == 0.5)
    (only,) = match_channels([grey], alpha=False)
    assert only.shape == (4, 4, 1)  # all grey stays grey (16-bit output stays possible)


# --- atomic writes ---------------------------------------------------------------------------------


@pytest.fixture()
def previous(tmp_path: Path) -> Path:
    path = tmp_path / "out.png"
    path.write_bytes(b"the previous output")
    path.chmod(0o640)
    return path


def _writes_then(action: Callable[[], None]) -> Callable[[Path], None]:
    def write(temp: Path) -> None:
        temp.write_bytes(b"half a fi")
        action()
        temp.write_bytes(b"half a file, and the rest")

    return write


def _raise(exc: BaseException) -> Callable[[], None]:
    def action() -> None:
        raise exc

    return action


def _sigterm_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.fixture(autouse=True)
def sigterm_guard() -> Iterator[None]:
    """If a SIGTERM a test sends itself is not turned into Terminated by the code under test, fail
    the test instead of killing the test run."""

    def guard(signum: int, frame: object) -> None:
        raise AssertionError("SIGTERM reached the test's own handler: the code under test did not catch it")

    previous = signal.signal(signal.SIGTERM, guard)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (_raise(OSError(28, "No space left on device")), OSError),
        (_raise(KeyboardInterrupt()), KeyboardInterrupt),
        (_sigterm_self, Terminated),
    ],
)
def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temp(
    action: Callable[[], None], expected: type[BaseException], previous: Path
) -> None:
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(expected):
        write_atomically(previous, _writes_then(action))
    assert previous.read_bytes() == b"the previous output"
    assert temp_files(previous.parent) == []
    assert signal.getsignal(signal.SIGTERM) is handler  # restored


def test_a_complete_write_replaces_the_file_and_keeps_its_mode(previous: Path) -> None:
    write_atomically(previous, lambda temp: temp.write_bytes(b"new"))
    assert previous.read_bytes() == b"new"
    assert previous.stat().st_mode & 0o777 == 0o640
    assert temp_files(previous.parent) == []


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.png", lambda temp: temp.write_bytes(b"x"))
    finally:
        os.umask(umask)
    assert (tmp_path / "new.png").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


def test_the_temp_file_has_the_targets_extension(tmp_path: Path) -> None:
    seen: list[Path] = []
    write_atomically(tmp_path / "out.tif", seen.append)
    assert seen[0].parent == tmp_path and seen[0].name.startswith(".gass-") and seen[0].suffix == ".tif"


def test_write_image_reports_a_full_disk_in_one_sentence(
    previous: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    def full(self: object, fp: object, *args: object, **kwargs: object) -> None:
        Path(str(fp)).write_bytes(b"trunc")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full)
    with pytest.raises(ImageFileError, match=r"cannot write .*out\.png': no space left on device; the previous file"):
        write_image(previous, np.zeros((4, 4, 3), np.float32))
    before = snapshot(previous.parent)
    code, err = run_main([str(files["bark"]), "-o", str(previous), *DRAFT, "--quiet"], capsys)
    assert_one_error(code, err, 2, "no space left on device")
    assert snapshot(previous.parent) == before


# --- interrupted at every phase: the message is true, nothing half-written remains ---------------


@pytest.fixture()
def interrupt_in_save(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], None]], None]]:
    """Make Pillow's save write part of the file, then run an action (raise, signal this process)."""
    real_save = Image.Image.save

    def install(action: Callable[[], None]) -> None:
        def save(self: Image.Image, fp: object, *args: object, **kwargs: object) -> None:
            real_save(self, fp, *args, **kwargs)
            action()

        monkeypatch.setattr(Image.Image, "save", save)

    yield install


@pytest.mark.parametrize(
    ("action", "code", "line"),
    [
        (_raise(KeyboardInterrupt()), 130, "gass: cancelled; no output written"),
        (_sigterm_self, 143, "gass: terminated; no output written"),
    ],
)
def test_interrupted_during_the_final_write(
    action: Callable[[], None],
    code: int,
    line: str,
    previous: Path,
    files: dict[str, Path],
    interrupt_in_save: Callable[[Callable[[], None]], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    interrupt_in_save(action)
    handler = signal.getsignal(signal.SIGTERM)
    before = snapshot(previous.parent)
    assert run_main([str(files["bark"]), "-o", str(previous), *DRAFT, "--quiet"], capsys) == (code, [line])
    assert snapshot(previous.parent) == before
    assert signal.getsignal(signal.SIGTERM) is handler


def test_interrupted_right_after_the_rename_says_the_file_was_written(
    previous: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C landing just after the rename: the file is complete and the message says so."""
    import core.imageio

    real_replace = os.replace

    def replace_then_interrupt(src: str, dst: str) -> None:
        real_replace(src, dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(core.imageio.os, "replace", replace_then_interrupt)
    code, err = run_main([str(files["bark"]), "-o", str(previous), *DRAFT, "--quiet"], capsys)
    assert (code, err) == (130, [f"gass: cancelled after every output was written completely: {previous}"])
    assert read_image(previous).shape == (32, 32, 3)
    assert temp_files(previous.parent) == []


def test_interrupted_between_pbr_maps_names_what_was_written(tmp_path: Path) -> None:
    paths = [str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    before = {p: file_state(p) for p in paths}
    assert interrupted_message("cancelled", paths, before) == "gass: cancelled; no output written"
    write_image(paths[0], np.zeros((4, 4, 1), np.float32))
    assert interrupted_message("cancelled", paths, before) == (
        f"gass: cancelled after writing {paths[0]}; not written: {paths[1]}"
    )
    assert interrupted_message("cancelled", paths, {}) == "gass: cancelled; no output written"


def _progress_then_signal(argv: list[str], sig: int) -> tuple[int, list[str]]:
    """Run ``python -m core`` and send ``sig`` once its first progress line is on stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "core", *argv],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # Python then turns it into Ctrl-C
    )
    assert proc.stderr is not None
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            if "%  level" in line:
                proc.send_signal(sig)
                break
        lines += proc.stderr.read().splitlines()
        return proc.wait(timeout=120), lines
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize(
    ("job", "sig", "code", "verb"),
    [
        (["{bark}"], signal.SIGTERM, 143, "terminated"),
        (["{bark}"], signal.SIGINT, 130, "cancelled"),
        (["fill", "{bark}", "--mask", "{mask}"], signal.SIGINT, 130, "cancelled"),
    ],
)
def test_signal_during_the_synthesis(
    job: list[str], sig: int, code: int, verb: str, files: dict[str, Path], previous: Path
) -> None:
    size = [] if job[0] == "fill" else ["--size", "128"]  # (tile and equalize finish in well under a second)
    before = snapshot(previous.parent)
    argv = expand([*job, "-o", str(previous), "--quality", "draft", *size], files)
    returncode, lines = _progress_then_signal(argv, sig)
    assert returncode == code, lines
    assert lines[-1] == f"gass: {verb}; no output written", lines
    assert "Traceback" not in "\n".join(lines)
    assert snapshot(previous.parent) == before  # the previous output intact, no .gass-* file
