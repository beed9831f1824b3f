"""Finite-difference checks of every term of the style score."""

from __future__ import annotations

import numpy as np
import pytest

from core.style import (
    CoherenceTerm,
    SlicedPatchTerm,
    SpectrumTerm,
    exemplar_spectrum,
    match_exact,
    match_histogram,
    quantile_table,
)
from core.synth import LevelObjective


def _directional_check(fn, x: np.ndarray, rng: np.random.Generator, eps: float = 1e-2) -> tuple[float, float]:
    """(finite-difference slope, analytic slope) along a random direction, in float64 terms."""
    _, grad = fn(x)
    v = rng.standard_normal(x.shape).astype(np.float32)
    plus, _ = fn((x + eps * v).astype(np.float32))
    minus, _ = fn((x - eps * v).astype(np.float32))
    return (plus - minus) / (2 * eps), float(np.sum(grad.astype(np.float64) * v))


def _sliced(exemplar: np.ndarray, rng: np.random.Generator, **kw: object) -> SlicedPatchTerm:
    return SlicedPatchTerm(
        [exemplar],
        [1.0],
        patch_size=5,
        directions=16,
        max_patches=1 << 20,
        exemplar_samples=4096,
        rng=rng,
        exact=True,
        **kw,  # type: ignore[arg-type]
    )


def test_sliced_term_gradient_matches_finite_differences(gravel64: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    term = _sliced(gravel64, rng)
    x = rng.random((24, 20, 1)).astype(np.float32)
    term.resample(24, 20)
    fd, an = _directional_check(term.value_and_grad, x, rng)
    assert an != 0
    assert fd == pytest.approx(an, rel=2e-2)


def test_sliced_term_gradient_with_strided_grid(bark64: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    term = SlicedPatchTerm(
        [bark64, bark64[::-1]],
        [0.3, 0.7],
        patch_size=5,
        directions=8,
        max_patches=128,
        exemplar_samples=2048,
        rng=rng,
        exact=True,
    )
    x = rng.random((30, 26, 3)).astype(np.float32)
    term.resample(30, 26)
    assert term.stride > 1
    fd, an = _directional_check(term.value_and_grad, x, rng)
    assert fd == pytest.approx(an, rel=2e-2)


def test_coherence_term_gradient_matches_finite_differences(bark64: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    term = CoherenceTerm([bark64, bark64[:, ::-1]], [0.5, 0.5], patch_size=5, stride=2, rng=rng)
    x = rng.random((22, 18, 3)).astype(np.float32)
    term.refresh(x)
    fd, an = _directional_check(term.value_and_grad, x, rng, eps=1e-1)
    assert fd == pytest.approx(an, rel=1e-3)


def test_coherence_loss_is_zero_on_a_matched_exemplar_crop(gravel64: np.ndarray) -> None:
    """A periodic-free check: the loss is the mean squared distance to the matches, >= 0."""
    rng = np.random.default_rng(3)
    term = CoherenceTerm([gravel64], [1.0], patch_size=5, stride=3, rng=rng)
    x = rng.random((21, 21, 1)).astype(np.float32)
    term.refresh(x)
    loss, _ = term.value_and_grad(x)
    assert loss > 0
    shifted, _ = term.value_and_grad(x + 0.5)
    assert shifted > loss


def test_level_objective_sums_both_terms(gravel64: np.ndarray) -> None:
    rng = np.random.default_rng(4)
    objective = LevelObjective(
        _sliced(gravel64, rng),
        [
            (CoherenceTerm([gravel64], [1.0], patch_size=5, stride=2, rng=rng), 1.0),
            (SpectrumTerm([gravel64], [1.0], 20, 20), 0.5),
        ],
        refresh_every=1,
    )
    x = rng.random((20, 20, 1)).astype(np.float32)
    objective.resample(x)
    assert all(lam > 0 for lam in objective.multipliers)
    fd, an = _directional_check(objective.value_and_grad, x, rng)
    assert fd == pytest.approx(an, rel=2e-2)


def test_histogram_matching_agrees_with_exact_matching() -> None:
    rng = np.random.default_rng(5)
    levels = (np.arange(2048) + 0.5) / 2048
    source = rng.standard_normal((20000, 4)).astype(np.float32) * np.array([1, 2, 0.5, 3], np.float32)
    target = rng.gamma(2.0, 1.0, size=(20000, 4)).astype(np.float32)
    table = quantile_table(target, levels)
    exact = match_exact(source, levels, table)
    approx = match_histogram(source, levels, table)
    assert float(np.abs(exact - approx).mean()) < 0.01 * float(target.std())
    # Matching maps the source onto the target distribution.
    np.testing.assert_allclose(np.sort(exact, axis=0)[::500], np.sort(target, axis=0)[::500], atol=0.1)


def test_spectrum_term_gradient_and_projection(bark64: np.ndarray) -> None:
    rng = np.random.default_rng(6)
    term = SpectrumTerm([bark64], [1.0], 48, 40)
    x = rng.random((48, 40, 3)).astype(np.float32)
    term.refresh(x)
    fd, an = _directional_check(term.value_and_grad, x, rng, eps=1e-1)
    assert fd == pytest.approx(an, rel=1e-3)
    # The projection has the exemplar's spectrum magnitude and is a fixed point of itself.
    assert term.target is not None
    y = term.target
    fy = np.abs(np.fft.rfft2(y - y.reshape(-1, 3).mean(axis=0), axes=(0, 1))).transpose(2, 0, 1)
    np.testing.assert_allclose(fy, np.abs(term.spectrum), rtol=1e-3, atol=1e-3)
    term.refresh(y)
    assert term.value_and_grad(y)[0] < 1e-8


def test_exemplar_spectrum_keeps_the_variance(bark64: np.ndarray) -> None:
    for size in ((32, 32), (96, 80)):
        spec = exemplar_spectrum(bark64, *size)
        field = np.fft.irfft2(spec, s=size, axes=(1, 2))
        assert field.std() == pytest.approx(float(bark64.reshape(-1, 3).std(axis=0).mean()), rel=0.25)
