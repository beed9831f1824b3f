"""Optimizers that climb the style score S = -L: one small interface, four methods.

Each optimizer minimizes the style loss L of an :class:`Objective` by calling
``step`` once per iteration:

* :class:`GradientAscent`: the write-up's x_{k+1} = x_k + alpha * grad S, with a
  fixed alpha per level, set so that the first step moves pixels by
  ``learning_rate`` (root mean square).
* :class:`Adam`: per-pixel adaptive steps with momentum (Kingma and Ba 2015).
* :class:`ConjugateGradient`: nonlinear conjugate gradient (Polak-Ribiere+)
  with a backtracking Armijo line search.
* :class:`LBFGS`: limited-memory BFGS (two-loop recursion, 8 pairs) with the
  same line search.

The objective is stochastic (random projections): "gradient" and "adam"
redraw it every iteration; "cg" and "lbfgs" hold one draw for
``resample_every`` iterations, which their line searches and curvature
memory need, and restart their memory at each redraw.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Objective(Protocol):
    """A loss on images with a random draw that can be renewed."""

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and gradient (same shape as x) for the current draw."""
        ...

    def resample(self, x: np.ndarray) -> None:
        """Renew the random draw (and anything refreshed with it) around x."""
        ...


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a.ravel().astype(np.float64), b.ravel().astype(np.float64)))


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a, dtype=np.float64)))) + 1e-30


class Optimizer:
    """Base class: counts gradient evaluations; ``reset`` starts a new level."""

    name = "base"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate
        self.evaluations = 0

    @property
    def iterations_per_draw(self) -> int:
        """Iterations between redraws of the objective's random draw (1: every iteration)."""
        return 1

    def draws_in(self, iterations: int) -> int:
        """How many redraws ``iterations`` iterations make, at least 1 (anchored terms refresh per draw)."""
        return max(1, round(iterations / self.iterations_per_draw))

    def reset(self) -> None:
        """Forget all state (called at the start of each pyramid level)."""

    def _eval(self, objective: Objective, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.evaluations += 1
        return objective.value_and_grad(x)

    def step(self, x: np.ndarray, objective: Objective) -> tuple[np.ndarray, float]:
        """One iteration from x. Returns (new x, loss at the evaluated point)."""
        raise NotImplementedError


class GradientAscent(Optimizer):
    """Plain gradient ascent on S with a fixed step per level."""

    name = "gradient"

    def __init__(self, learning_rate: float) -> None:
        super().__init__(learning_rate)
        self.reset()

    def reset(self) -> None:
        self.alpha: float | None = None
        self.best = np.inf

    def step(self, x: np.ndarray, objective: Objective) -> tuple[np.ndarray, float]:
        objective.resample(x)
        loss, grad = self._eval(objective, x)
        if self.alpha is None:
            self.alpha = self.learning_rate / _rms(grad)
        elif loss > 1.5 * self.best:
            # A fixed step larger than 2 / curvature diverges: halve it once the loss climbs.
            self.alpha *= 0.5
        self.best = min(self.best, loss)
        return x - np.float32(self.alpha) * grad, loss


class Adam(Optimizer):
    """Adam with bias correction (beta1 0.9, beta2 0.999)."""

    name = "adam"

    def __init__(self, learning_rate: float, beta1: float = 0.9, beta2: float = 0.999) -> None:
        super().__init__(learning_rate)
        self.beta1, self.beta2 = beta1, beta2
        self.reset()

    def reset(self) -> None:
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None
        self.t = 0

    def step(self, x: np.ndarray, objective: Objective) -> tuple[np.ndarray, float]:
        objective.resample(x)
        loss, grad = self._eval(objective, x)
        if self.m is None or self.v is None or self.m.shape != x.shape:
            self.m = np.zeros_like(x)
            self.v = np.zeros_like(x)
            self.t = 0
        self.t += 1
        m, v = self.m, self.v
        # In place, one scratch buffer: at 2048 px each temporary is 48 MiB.
        m *= np.float32(self.beta1)
        m += np.float32(1 - self.beta1) * grad
        v *= np.float32(self.beta2)
        np.multiply(grad, grad, out=grad)
        grad *= np.float32(1 - self.beta2)
        v += grad
        step = grad  # reuse the gradient's memory for the step
        np.sqrt(v, out=step)
        step *= np.float32(1.0 / np.sqrt(1 - self.beta2**self.t))
        step += np.float32(1e-12)
        np.divide(m, step, out=step)
        step *= np.float32(self.learning_rate / (1 - self.beta1**self.t))
        np.subtract(x, step, out=step)
        return step, loss


class _LineSearchOptimizer(Optimizer):
    """Shared machinery of CG and L-BFGS: held draws and an Armijo line search."""

    keeps_memory_across_draws = False

    def __init__(self, learning_rate: float, resample_every: int) -> None:
        super().__init__(learning_rate)
        self.resample_every = resample_every
        self.reset()

    @property
    def iterations_per_draw(self) -> int:
        return self.resample_every

    def reset(self) -> None:
        self.count = 0
        self.alpha = 0.0
        self.state: tuple[float, np.ndarray] | None = None
        self.restart()

    def restart(self) -> None:
        """Forget the search history (directions or curvature pairs)."""

    def direction(self, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def remember(self, step: np.ndarray, grad: np.ndarray, new_grad: np.ndarray) -> None:
        """Update the search history after an accepted step."""

    def step(self, x: np.ndarray, objective: Objective) -> tuple[np.ndarray, float]:
        if self.count % self.resample_every == 0 or self.state is None:
            objective.resample(x)
            if not self.keeps_memory_across_draws or self.state is None:
                self.restart()
            self.state = self._eval(objective, x)
        self.count += 1
        loss, grad = self.state
        d = self.direction(grad)
        slope = _dot(grad, d)
        if slope >= 0:  # not a descent direction: fall back to steepest descent
            self.restart()
            d = -grad
            slope = -_dot(grad, grad)
        alpha = self.initial_alpha(d)
        for _ in range(8):
            x_new = x + np.float32(alpha) * d
            new_loss, new_grad = self._eval(objective, x_new)
            if new_loss <= loss + 1e-4 * alpha * slope:
                break
            alpha *= 0.5
        else:
            self.restart()
            return x, loss
        self.alpha = alpha
        self.remember(x_new - x, grad, new_grad)
        self.state = (new_loss, new_grad)
        return x_new, new_loss

    def initial_alpha(self, d: np.ndarray) -> float:
        first = self.learning_rate / _rms(d)
        return first if self.alpha == 0.0 else min(2.0 * self.alpha, 64.0 * first)


class ConjugateGradient(_LineSearchOptimizer):
    """Nonlinear conjugate gradient, Polak-Ribiere+ (restarts when beta < 0)."""

    name = "cg"

    def restart(self) -> None:
        self.prev_grad: np.ndarray | None = None
        self.prev_dir: np.ndarray | None = None

    def direction(self, grad: np.ndarray) -> np.ndarray:
        if self.prev_grad is None or self.prev_dir is None:
            d = -grad
        else:
            beta = max(0.0, _dot(grad, grad - self.prev_grad) / max(_dot(self.prev_grad, self.prev_grad), 1e-300))
            d = -grad + np.float32(beta) * self.prev_dir
        self.prev_dir = d
        self.prev_grad = grad
        return d


class LBFGS(_LineSearchOptimizer):
    """Limited-memory BFGS with ``memory`` curvature pairs."""

    name = "lbfgs"
    # Each curvature pair (s, y) is measured within one draw, so it stays a valid
    # sample of the loss's curvature after a redraw (as in online L-BFGS).
    keeps_memory_across_draws = True

    def __init__(self, learning_rate: float, resample_every: int, memory: int = 8) -> None:
        self.memory = memory
        super().__init__(learning_rate, resample_every)

    def restart(self) -> None:
        self.pairs: list[tuple[np.ndarray, np.ndarray, float]] = []
        self.alpha = 0.0  # the next steepest-descent step sizes itself afresh

    def direction(self, grad: np.ndarray) -> np.ndarray:
        q = grad.astype(np.float32).copy()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            a = rho * _dot(s, q)
            alphas.append(a)
            q -= np.float32(a) * y
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q *= np.float32(_dot(s, y) / max(_dot(y, y), 1e-300))
        for (s, y, rho), a in zip(self.pairs, reversed(alphas)):
            b = rho * _dot(y, q)
            q += np.float32(a - b) * s
        return -q

    def initial_alpha(self, d: np.ndarray) -> float:
        return 1.0 if self.pairs else super().initial_alpha(d)

    def remember(self, step: np.ndarray, grad: np.ndarray, new_grad: np.ndarray) -> None:
        y = new_grad - grad
        sy = _dot(step, y)
        if sy > 1e-12 * max(_dot(y, y), 1e-300):
            self.pairs.append((step, y, 1.0 / sy))
            if len(self.pairs) > self.memory:
                self.pairs.pop(0)


def make_optimizer(name: str, *, learning_rate: float, resample_every: int) -> Optimizer:
    """The optimizer called ``name`` ("gradient", "adam", "cg" or "lbfgs")."""
    if name == "gradient":
        return GradientAscent(learning_rate)
    if name == "adam":
        return Adam(learning_rate)
    if name == "cg":
        return ConjugateGradient(learning_rate, resample_every)
    if name == "lbfgs":
        return LBFGS(learning_rate, resample_every)
    raise ValueError(f"unknown optimizer {name!r}")
