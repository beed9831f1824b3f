"""Every error branch: typed, raised early, with a message naming the value."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import (
    GassError,
    InvalidConfigError,
    InvalidExemplarError,
    MemoryBudgetError,
    SynthesisConfig,
    Synthesizer,
    fill,
    make_tileable,
)

GOOD = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)


@pytest.mark.parametrize(
    ("exemplars", "message"),
    [
        ([], "non-empty list"),
        ([np.zeros((0, 0, 3), np.float32)], "empty"),
        ([np.zeros((1, 1, 3), np.float32)], "1x1 pixels"),
        ([np.zeros((10, 40, 3), np.float32)], "40x10 pixels; at least 14x14"),
        ([np.zeros((4, 4, 4, 3), np.float32)], "4 dimensions"),
        ([np.zeros((32, 32, 5), np.float32)], "5 channels"),
        ([np.full((32, 32, 3), np.nan, np.float32)], "NaN or infinite"),
        ([np.where(np.eye(32)[:, :, None] > 0, np.inf, GOOD).astype(np.float32)], "32 pixels with NaN or infinite"),
        ([GOOD, GOOD[:, :, :1]], "different channel counts"),
        ([np.array([["a"] * 32] * 32)], "pixel type"),
    ],
)
def test_bad_exemplars(exemplars: list[np.ndarray], message: str) -> None:
    with pytest.raises(InvalidExemplarError, match=message):
        Synthesizer(exemplars)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, 1.0], "2 values for 1 exemplars"),
        ([-1.0], "finite number >= 0"),
        ([float("nan")], "finite number >= 0"),
        ([0.0], "at least one must be > 0"),
    ],
)
def test_bad_weights(weights: list[float], message: str) -> None:
    with pytest.raises(InvalidExemplarError, match=message):
        Synthesizer([GOOD], weights=weights)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("width", 0, "width is 0; allowed: 16 to 16384"),
        ("height", 100000, "height is 100000"),
        ("width", 12.5, "whole number"),
        ("patch_size", 2, "patch_size is 2"),
        ("scale_factor", 0.95, "scale_factor"),
        ("optimizer", "sgd", "optimizer is 'sgd'; allowed: gradient, adam, cg, lbfgs"),
        ("learning_rate", 0.0, "learning_rate"),
        ("coherence_weight", -1.0, "coherence_weight"),
    ],
)
def test_bad_config(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        dataclasses.replace(SynthesisConfig(), **{field: value})


def test_coarsest_level_must_hold_two_patches() -> None:
    with pytest.raises(InvalidConfigError, match="coarsest_size is 16; it must be at least twice patch_size"):
        SynthesisConfig(patch_size=9, coarsest_size=16)


def test_unknown_preset() -> None:
    with pytest.raises(InvalidConfigError, match="quality is 'ultra'"):
        SynthesisConfig.preset("ultra")


def test_beyond_memory_budget_says_how_much() -> None:
    config = SynthesisConfig(width=16384, height=16384, memory_budget_mb=4096)
    with pytest.raises(MemoryBudgetError, match=r"16384x16384 texture would need about \d+\.\d GiB"):
        Synthesizer([GOOD], config=config)


def test_4096_fits_the_default_budget() -> None:
    Synthesizer([GOOD], config=SynthesisConfig(width=4096, height=4096))


def test_all_errors_share_one_base_class() -> None:
    for cls in (InvalidConfigError, InvalidExemplarError, MemoryBudgetError):
        assert issubclass(cls, GassError)
    assert issubclass(GassError, ValueError)


def test_names_appear_in_messages() -> None:
    with pytest.raises(InvalidExemplarError, match=r"exemplar 'bricks\.png' is 1x1 pixels"):
        Synthesizer([GOOD, np.zeros((1, 1, 3), np.float32)], names=["bark.png", "bricks.png"])


@pytest.mark.parametrize("seed", [-1, 2**31, 1.5, True])
def test_seed_out_of_range(seed: object) -> None:
    with pytest.raises(InvalidConfigError, match=r"seed is .*(allowed: 0 to 2147483647|whole number from 0)"):
        Synthesizer([GOOD], seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("job", "run", "least", "shape"),
    [
        ("make tileable", make_tileable, 32, (12, 15)),
        ("make tileable", make_tileable, 32, (31, 64)),  # one side short is enough to refuse
        ("fill", fill, 16, (12, 15)),
    ],
)
def test_too_small_for_tile_or_fill_says_what_the_image_needs(
    job: str, run: object, least: int, shape: tuple[int, int]
) -> None:
    h, w = shape
    small = np.random.default_rng(0).random((h, w, 4)).astype(np.float32)
    small[4:8, 4:8, 3] = 0.0  # a transparent hole for fill
    message = rf"image is {w}x{h} pixels; {job} needs an image of at least {least}x{least}"
    with pytest.raises(InvalidExemplarError, match=message):
        run(small)  # type: ignore[operator]


def test_presets_differ_only_where_they_say_and_standard_is_the_defaults() -> None:
    assert SynthesisConfig.preset("standard") == SynthesisConfig()
    draft, high = SynthesisConfig.preset("draft"), SynthesisConfig.preset("high")
    assert draft.iterations_fine < SynthesisConfig().iterations_fine < high.iterations_fine
    assert draft.width == high.width == SynthesisConfig().width
