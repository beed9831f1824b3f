"""Typed errors of the GASS engine.

Every error the engine raises on bad input is a :class:`GassError`, so a host
(the Blender operator, the command line) can catch one class and show its
message to the user. Messages name the parameter, its value and what is
allowed.
"""

from __future__ import annotations


class GassError(ValueError):
    """Base class of every error the engine raises on bad input."""


class InvalidExemplarError(GassError):
    """An exemplar image cannot be used (shape, size, values, channels)."""


class InvalidConfigError(GassError):
    """A configuration value is out of its allowed range."""


class MemoryBudgetError(GassError):
    """The requested synthesis would need more memory than allowed."""


class ImageFileError(GassError):
    """An image file cannot be read or written."""


class Terminated(KeyboardInterrupt):
    """The process got SIGTERM while :func:`core.imageio.sigterm_raises` was active.

    A :class:`KeyboardInterrupt`, so whatever cleans up after Ctrl-C (temporary
    files, half-written outputs) cleans up after SIGTERM too; a command line
    tells the two apart for its exit code (130 for Ctrl-C, 143 for SIGTERM).
    """
