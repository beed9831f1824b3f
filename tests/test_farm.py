"""The render-farm job: the OpenJD template checked and run for real with ``openjd`` (openjd-cli),
the manifest writer, and the row runner each task executes."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from farm import manifest, run_row
from farm.template import RUNNER, TEMPLATE

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


def openjd(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``openjd ARGS`` run from the repository root with ``python -m core`` importable; output in ``.stdout``."""
    try:
        import openjd.cli  # noqa: F401
    except ImportError:
        pytest.fail(
            "openjd-cli is not installed in this environment: python3 dev.py test installs it (pip install openjd-cli)"
        )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run(
        [sys.executable, "-m", "openjd", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_job(folder: Path, rows: list[dict[str, object]], command: str = "") -> subprocess.CompletedProcess[str]:
    """Write ``rows`` as folder/manifest.json and ``openjd run`` all of them with ``command`` (``python -m core``)."""
    (folder / "manifest.json").write_text(manifest.manifest_text(rows), encoding="utf-8")
    return openjd(
        "run",
        str(TEMPLATE),
        "-p",
        f"Folder={folder}",
        "-p",
        f"Rows=1-{len(rows)}",
        "-p",
        f"Command={command or shlex.join([sys.executable, '-m', 'core'])}",
        "-p",
        f"Python={sys.executable}",
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with two exemplars, as a user would have."""
    for name in ("gravel_gray.png", "bark.png"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def test_template_passes_openjd_check_without_extensions() -> None:
    result = openjd("check", str(TEMPLATE), "--extensions", "")
    assert result.returncode == 0, result.stdout
    assert "passes validation" in result.stdout


def test_template_embeds_the_current_runner() -> None:
    import yaml  # type: ignore[import-untyped]  # PyYAML comes with openjd-cli (openjd-model needs it)

    template = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    (embedded,) = template["steps"][0]["script"]["embeddedFiles"]
    assert embedded["data"] == RUNNER.read_text(encoding="utf-8"), "run python -m farm.template"


def test_openjd_runs_two_textures_locally(folder: Path) -> None:
    rows: list[dict[str, object]] = [
        {"inputs": ["gravel_gray.png"], "output": "out/gravel_{seed}.png", "seed": 3, "size": 32, "quality": "draft"},
        {"inputs": ["bark.png"], "output": "out/bark.png", "size": "48x32", "quality": "draft", "quiet": True},
    ]
    result = run_job(folder, rows)
    assert result.returncode == 0, result.stdout
    assert "Session ended successfully" in result.stdout
    with Image.open(folder / "out" / "gravel_3.png") as gravel, Image.open(folder / "out" / "bark.png") as bark:
        assert gravel.size == (32, 32)
        assert bark.size == (48, 32)


def test_openjd_runs_tile_equalize_and_pbr_rows(folder: Path) -> None:
    with Image.open(folder / "bark.png") as bark, Image.open(folder / "gravel_gray.png") as gravel:
        bark.resize((48, 48)).save(folder / "bark48.png")
        gravel.convert("L").resize((48, 48)).save(folder / "rough48.png")
    rows: list[dict[str, object]] = [
        {"job": "tile", "inputs": ["bark48.png"], "output": "out/bark_tileable.png"},  # no seed, no quality
        {"job": "equalize", "inputs": ["bark48.png"], "output": "out/bark_flat.png", "scale": 0.25},
        {
            "job": "pbr",
            "inputs": ["color=bark48.png,roughness=rough48.png"],
            "output": "out/{map}/bark.png",
            "size": 32,
            "quality": "draft",
        },
    ]
    result = run_job(folder, rows)
    assert result.returncode == 0, result.stdout
    sizes = {
        "bark_tileable.png": (48, 48),
        "bark_flat.png": (48, 48),
        "color/bark.png": (32, 32),
        "roughness/bark.png": (32, 32),
    }
    for name, size in sizes.items():
        with Image.open(folder / "out" / name) as image:
            assert image.size == size, name
    (command,) = [line for line in result.stdout.splitlines() if "gass row 1: " in line]
    assert "out/bark_tileable.png" in command and "--seed" not in command  # tile draws nothing at random


def test_a_failing_task_reports_one_line_and_keeps_the_other_output(folder: Path) -> None:
    rows: list[dict[str, object]] = [
        {"inputs": ["gravel_gray.png"], "output": "out/gravel.png", "size": 32, "quality": "draft"},
        {"inputs": ["nowhere.png"], "output": "out/nowhere.png", "size": 32, "quality": "draft"},
    ]
    result = run_job(folder, rows)
    assert result.returncode != 0
    errors = [line for line in result.stdout.splitlines() if "gass: error:" in line]
    assert len(errors) == 1, result.stdout
    assert "nowhere.png" in errors[0]
    assert "does not exist" in errors[0]
    with Image.open(folder / "out" / "gravel.png") as gravel:
        assert gravel.size == (32, 32)
    assert not (folder / "out" / "nowhere.png").exists()


def test_a_missing_command_fails_with_one_line(folder: Path) -> None:
    rows: list[dict[str, object]] = [{"inputs": ["bark.png"], "output": "out/bark.png"}]
    result = run_job(folder, rows, command="no-such-gass-command -c gass")
    assert result.returncode != 0
    errors = [line for line in result.stdout.splitlines() if "gass: error:" in line]
    assert len(errors) == 1, result.stdout
    assert "cannot run 'no-such-gass-command'" in errors[0]


def test_manifest_from_a_folder(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "notes.txt").write_text("not an image", encoding="utf-8")
    assert manifest.main([str(folder), "--size", "1024", "--quality", "high", "--output", "out/{stem}_{seed}.png"]) == 0
    rows = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["textures"]
    assert rows == [
        {"inputs": ["bark.png"], "output": "out/bark_{seed}.png", "seed": 0, "size": "1024", "quality": "high"},
        {
            "inputs": ["gravel_gray.png"],
            "output": "out/gravel_gray_{seed}.png",
            "seed": 0,
            "size": "1024",
            "quality": "high",
        },
    ]
    out = capsys.readouterr().out
    assert "2 textures" in out
    assert f"-p Folder={folder} -p Rows=1-2" in out


def test_manifest_elsewhere_points_back_at_the_images(folder: Path) -> None:
    (folder / "jobs").mkdir()
    assert manifest.main([str(folder), "-o", str(folder / "jobs" / "tiles.json"), "--job", "tile"]) == 0
    rows = json.loads((folder / "jobs" / "tiles.json").read_text(encoding="utf-8"))["textures"]
    assert rows[0] == {"job": "tile", "inputs": ["../bark.png"], "output": "out/bark.png", "seed": 0}


@pytest.mark.parametrize("job", ["tile", "equalize"])
@pytest.mark.parametrize("option", [["--size", "1024"], ["--quality", "high"]])
def test_manifest_refuses_size_and_quality_for_the_one_image_jobs(
    folder: Path, job: str, option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert manifest.main([str(folder), "--job", job, *option]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"gass: error: {option[0]} does not apply to {job}")
    assert not (folder / "manifest.json").exists()


def test_manifest_of_a_folder_without_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert manifest.main([str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("gass: error: no images")
    assert not (tmp_path / "manifest.json").exists()


def test_row_arguments() -> None:
    row = {
        "job": "pbr",
        "inputs": ["color=c.png,normal=n.png"],
        "output": "out/stone_{seed}_{map}.png",
        "seed": 10,
        "weights": [1],
        "alpha": False,
        "quiet": True,
        "regularity": 0.5,
    }
    assert run_row.row_args(row, 1, 2, "0-4") == [
        "pbr",
        "color=c.png,normal=n.png",
        "-o",
        "out/stone_12_{map}.png",
        "--seed",
        "12",
        "--weights",
        "1",
        "--quiet",
        "--regularity",
        "0.5",
    ]


@pytest.mark.parametrize(("job", "seeded"), [("new", True), ("fill", True), ("pbr", True), ("tile", False),
                                            ("equalize", False)])  # fmt: skip
def test_only_the_jobs_that_draw_at_random_get_a_seed(job: str, seeded: bool) -> None:
    args = run_row.row_args({"job": job, "inputs": ["a.png"], "output": "o_{seed}.png", "seed": 4}, 1, 3, "3")
    assert args[:4] == [job, "a.png", "-o", "o_7.png"]
    assert ("--seed" in args) == seeded
    if seeded:
        assert args[args.index("--seed") + 1] == "7"


@pytest.mark.parametrize("job", ["tile", "equalize"])
def test_variations_of_a_job_without_randomness_are_refused(job: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_row.row_args({"job": job, "inputs": ["a.png"], "output": "o_{seed}.png"}, 2, 0, "0-9")
    assert f"row 2: {job} draws nothing at random" in capsys.readouterr().err


def test_output_folders_are_made_per_map_kind() -> None:
    assert run_row.output_folders(["a.png", "-o", "out/a.png"]) == {"out"}
    assert run_row.output_folders(["a.png", "-o", "a.png"]) == set()
    pbr = ["pbr", "color=c.png,Normal=n.png", "color=d.png,normal=m.png", "-o", "out/{map}/stone.png"]
    assert run_row.output_folders(pbr) == {"out/color", "out/normal"}
    assert run_row.output_folders(["pbr", "color=c.png", "-o", "out/stone_{map}.png"]) == {"out"}


@pytest.mark.parametrize(
    ("row", "variations", "message"),
    [
        ({"inputs": ["a.png"], "output": "a.png"}, "0-9", "has no {seed} in it"),
        ({"inputs": "a.png", "output": "a.png"}, "0", 'needs "inputs"'),
        ({"inputs": ["a.png"]}, "0", 'needs "output"'),
        ({"job": "paint", "inputs": ["a.png"], "output": "a.png"}, "0", "\"job\" is 'paint'"),
        ({"inputs": ["a.png"], "output": "a.png", "seed": "7"}, "0", "\"seed\" is '7'"),
        ({"inputs": ["a.png"], "output": "a.png", "size": {"w": 4}}, "0", '"size" is an object'),
    ],
)
def test_bad_rows_fail_with_one_line(
    row: dict[str, object], variations: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_row.row_args(row, 4, 0, variations)
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("gass: error: ")
    assert message in line


def test_row_past_the_end_of_the_manifest(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[dict[str, object]] = [{"inputs": ["a.png"], "output": "a.png"}]
    (folder / "manifest.json").write_text(manifest.manifest_text(rows), encoding="utf-8")
    monkeypatch.chdir(folder)  # main() enters the folder, as the task does; this restores the cwd afterwards
    with pytest.raises(SystemExit) as exit_:
        run_row.main([str(folder), "manifest.json", "2", "0", "0", "python -m core"])
    assert exit_.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == "gass: error: row 2 is not in the manifest 'manifest.json', which has rows 1-1"
