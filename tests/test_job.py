"""The one job description: validation once, the same message for every front end, one entry point."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_exemplar
from core import InvalidConfigError, InvalidExemplarError, MapSet
from core.config import BORDER_RANGE, DEFAULT_BORDER, SynthesisConfig
from core.job import IMAGE_JOBS, JOB_KINDS, Job, JobSettings, min_image_side
from core.seamless import MIN_SIDE as SEAMLESS_MIN_SIDE

BARK = load_exemplar("bark", 32)
SMALL = JobSettings(quality="draft", width=24, height=16, seed=1)


def test_settings_become_the_config() -> None:
    config = JobSettings(quality="high", width=640, height=320, regularity="off", optimizer="cg", alpha=True).config()
    assert (config.width, config.height, config.regularity, config.optimizer) == (640, 320, "off", "cg")
    assert JobSettings().config().regularity == "auto"
    assert JobSettings(advanced={"spectrum_weight": 0.5}).config().spectrum_weight == 0.5
    assert config.synthesize_alpha and config.directions == SynthesisConfig.preset("high").directions
    assert JobSettings(memory_budget_mb=512).config().memory_budget_mb == 512
    assert JobSettings(advanced={"iterations_fine": 7}).config().iterations_fine == 7
    with pytest.raises(InvalidConfigError, match=r"unknown setting\(s\) \['speed'\]"):
        JobSettings(advanced={"speed": 2}).config()
    default = JobSettings()
    assert (default.width, default.height, default.border) == (SynthesisConfig.width, SynthesisConfig.height, 0.1)
    assert default.border == DEFAULT_BORDER


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"quality": "ultra"}, "quality is 'ultra'; allowed: draft, standard, high"),
        ({"optimizer": "sgd"}, "optimizer is 'sgd'; allowed: gradient, adam, cg, lbfgs"),
        ({"seed": -1}, "seed is -1; allowed: 0 to 2147483647"),
        ({"regularity": 0.5}, "regularity is 0.5; allowed: auto, off, on"),
        ({"border": 0.5}, f"border is 0.5; allowed: {BORDER_RANGE[0]:g} to {BORDER_RANGE[1]:g}"),
    ],
)
def test_bad_settings_name_the_setting(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        JobSettings(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: Job("tileable", (BARK,)),
            InvalidConfigError,
            "job is 'tileable'; allowed: new, pbr, tile, fill, equalize",
        ),
        (lambda: Job("new", ()), InvalidExemplarError, "no exemplars"),
        (lambda: Job("tile", (BARK, BARK)), InvalidExemplarError, "make tileable takes one image, not 2"),
        (lambda: Job("equalize", (BARK, BARK)), InvalidExemplarError, "equalize lighting takes one image, not 2"),
        (lambda: Job("equalize", (BARK,), mask=BARK), InvalidConfigError, "a mask is for fill, not for equalize"),
        (lambda: Job("new", (BARK,), mask=BARK), InvalidConfigError, "a mask is for fill, not for synthesize"),
        (lambda: Job("new", (BARK,), weights=(1.0, 2.0)), InvalidExemplarError, "weights has 2 values for 1 exemplars"),
        (lambda: Job("pbr", (BARK,)), InvalidExemplarError, "a PBR job takes map sets"),
        (
            lambda: Job("pbr", (MapSet({"color": BARK}), MapSet({"height": BARK[:, :, :1]}))),
            InvalidConfigError,
            "every map set needs the same kinds of maps",
        ),
    ],
)
def test_bad_jobs_are_refused_when_described(make: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()  # type: ignore[operator]


def test_tile_and_fill_take_the_image_size_and_say_what_it_needs() -> None:
    wide = np.concatenate([BARK, BARK], axis=1)  # 64x32
    config = Job("tile", (wide,), SMALL).config()
    assert (config.width, config.height) == (64, 32)
    with pytest.raises(InvalidExemplarError, match=r"bark\.png is 12x12 pixels; fill needs an image of at least 16x16"):
        Job("fill", (BARK[:12, :12],), SMALL, names=("bark.png",)).config()
    with pytest.raises(InvalidExemplarError, match=r"bark\.png is 20x32 pixels; make tileable needs .* at least 32x32"):
        Job("tile", (BARK[:, :20],), SMALL, names=("bark.png",)).task()
    Job("equalize", (BARK[:4, :3],), SMALL).config()  # equalize takes any image of 2x2 or more
    with pytest.raises(InvalidExemplarError, match=r"image is 1x4 pixels; equalize lighting needs .* at least 2x2"):
        Job("equalize", (BARK[:4, :1],), SMALL).task()


def test_least_image_side_per_job() -> None:
    assert IMAGE_JOBS == ("tile", "fill", "equalize")  # the jobs that change one image and keep its size
    assert min_image_side("tile", SMALL) == SEAMLESS_MIN_SIDE == 32
    assert min_image_side("equalize", SMALL) == 2
    assert min_image_side("fill", SMALL) == SMALL.config().min_image_side
    assert min_image_side("fill", JobSettings(quality="high")) == JobSettings(quality="high").config().min_image_side


def test_one_entry_point_runs_every_kind() -> None:
    hole = np.zeros((32, 32), np.float32)
    hole[10:20, 10:20] = 1.0
    jobs = {
        "new": Job("new", (BARK, BARK * 0.5), SMALL, weights=(1.0, 1.0)),
        "pbr": Job("pbr", (MapSet({"color": BARK, "height": BARK[:, :, :1]}),), SMALL),
        "tile": Job("tile", (BARK,), SMALL),
        "fill": Job("fill", (BARK,), SMALL, mask=hole),
        "equalize": Job("equalize", (BARK,), SMALL),
    }
    assert tuple(jobs) == JOB_KINDS
    shapes = {}
    for kind, job in jobs.items():
        task = job.task()
        steps = list(task.steps())
        assert len(steps) == task.total_steps and steps[-1].fraction == pytest.approx(1.0)
        out = task.results()
        assert tuple(out) == job.output_keys() == tuple(task.output_slices())
        assert task.result.shape[:2] == task.size[::-1] and task.result.shape[2] == task.channels
        shapes[kind] = {key: image.shape for key, image in out.items()}
    assert shapes == {
        "new": {"": (16, 24, 3)},
        "pbr": {"color": (16, 24, 3), "height": (16, 24, 1)},
        "tile": {"": (32, 32, 3)},
        "fill": {"": (32, 32, 3)},
        "equalize": {"": (32, 32, 3)},
    }


def test_equalize_takes_the_lighting_out_of_the_inputs_only_where_asked() -> None:
    ramp = np.linspace(0.4, 1.0, BARK.shape[1], dtype=np.float32)[None, :, None]
    lit = (BARK * ramp).astype(np.float32)
    on = JobSettings(quality="draft", width=24, height=16, equalize=True)
    columns = Job("new", (lit,), on).inputs()[0].mean(axis=(0, 2))  # type: ignore[union-attr]
    assert float(np.ptp(columns)) < 0.5 * float(np.ptp(lit.mean(axis=(0, 2))))
    assert Job("new", (lit,), SMALL).inputs()[0] is lit  # off: the images as given
    height = BARK[:, :, :1].copy()
    (pbr,) = Job("pbr", (MapSet({"color": lit, "height": height}),), on).inputs()
    assert isinstance(pbr, MapSet) and pbr.maps["height"] is height  # data maps never equalized
    assert not np.array_equal(pbr.maps["color"], lit)
    with pytest.raises(InvalidConfigError, match="equalize is for new textures, PBR sets and make tileable"):
        Job("fill", (lit,), on)
    with pytest.raises(InvalidConfigError, match=r"equalize_scale is 2\.0; allowed: 0\.02 to 1"):
        JobSettings(equalize=True, equalize_scale=2.0)
