"""Image files <-> arrays with Pillow, for the command line and benchmarks.

Reads PNG, JPEG and TIFF (8 and 16 bit, and 32-bit float TIFF) into
(H, W, C) float32 in [0, 1], top row first; writes 8- or 16-bit PNG/TIFF and
8-bit JPEG. Pillow is imported only here, so the engine itself needs NumPy
alone.

Output files are checked before any work (:func:`check_output_path`) and
written atomically (:func:`write_atomically`): a hidden ``.gass-*`` file beside
the target, renamed over it once complete, removed on any error, Ctrl-C or
SIGTERM. The previous file at the target is never destroyed by a failed write.
The Blender layer uses both helpers with its own writer.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import stat
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType

import numpy as np

from .errors import GassError, ImageFileError, InvalidExemplarError, Terminated
from .exemplars import MAX_EXEMPLAR_PIXELS, check_exemplar_size

#: Extensions :func:`write_image` writes.
WRITABLE = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}

#: Extensions whose files can hold 16 bits per channel (of those :func:`write_image` writes).
SIXTEEN_BIT = {".png", ".tif", ".tiff"}

#: Prefix of the temporary files :func:`write_atomically` creates beside the target.
TEMP_PREFIX = ".gass-"

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}


def _pillow():  # type: ignore[no-untyped-def]
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImageFileError("reading and writing image files needs Pillow: pip install pillow") from err
    return Image


def check_input_path(path: str | os.PathLike[str], *, role: str = "exemplar") -> Path:
    """The path of an image to read, if it is an existing regular file.

    ``role`` names the file in messages: "exemplar", "image", "mask", "map".

    Raises
    ------
    ImageFileError
        When the path does not exist, is a directory or is not a regular file.
    """
    p = Path(path)
    if p.is_dir():
        raise ImageFileError(f"{role} {str(p)!r} is a directory, not an image file")
    if not p.exists():
        raise ImageFileError(f"{role} file {str(p)!r} does not exist")
    if not p.is_file():
        raise ImageFileError(f"{role} {str(p)!r} is not a regular file")
    return p


def read_image(path: str | os.PathLike[str], *, role: str = "exemplar") -> np.ndarray:
    """Read an image file as (H, W, C) float32 in [0, 1] (C = 1, 2, 3 or 4).

    The size is checked against :data:`core.exemplars.MAX_EXEMPLAR_PIXELS`
    from the file's header, before its pixels are decoded. ``role`` names the
    file in messages ("exemplar", "image", "mask", "map").

    Raises
    ------
    ImageFileError
        When the file is missing, a directory, unreadable, not an image, or in
        an unsupported mode.
    InvalidExemplarError
        When the image has more than ``MAX_EXEMPLAR_PIXELS`` pixels.
    """
    image_mod = _pillow()
    p = check_input_path(path, role=role)
    try:
        with warnings.catch_warnings():
            # Pillow warns above 89 megapixels; the size check below says it in one line instead.
            warnings.simplefilter("ignore", image_mod.DecompressionBombWarning)
            with image_mod.open(p) as im:
                width, height = im.size
                check_exemplar_size(width, height, repr(str(p)))
                im.load()
                mode = im.mode
                if mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "1"):
                    im = im.convert("RGBA" if "transparency" in im.info or mode == "PA" else "RGB")
                    mode = im.mode
                arr = np.asarray(im)
    except GassError:
        raise
    except PermissionError as err:
        raise ImageFileError(f"{role} file {str(p)!r} cannot be read: permission denied") from err
    except image_mod.DecompressionBombError as err:  # Pillow refuses to open it at all: twice its own limit
        megapixels = 2 * (image_mod.MAX_IMAGE_PIXELS or 0) / 1e6
        raise InvalidExemplarError(
            f"{str(p)!r} has more than {megapixels:.3g} megapixels; exemplars can be at most "
            f"{MAX_EXEMPLAR_PIXELS / 1e6:.1f} megapixels (4096x4096): use a scaled-down copy"
        ) from err
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageFileError(f"{str(p)!r} is not a readable image file ({err})") from err
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        out = arr.astype(np.float32) / 65535.0
    elif mode == "I":
        out = arr.astype(np.float32) / (65535.0 if arr.max() > 255 else 255.0)
    elif mode == "F":
        out = arr.astype(np.float32)
    elif arr.dtype == np.uint8:
        out = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        out = arr.astype(np.float32) / 65535.0
    else:
        raise ImageFileError(f"{str(p)!r} has an unsupported pixel mode {mode!r}")
    if out.ndim == 2:
        out = out[:, :, None]
    return np.ascontiguousarray(out, dtype=np.float32)


def _same_file(a: Path, b: Path) -> bool:
    """True if two paths name one file: equal once resolved, or the same inode (hard links)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def _probe_writable(folder: Path) -> None:
    """Create and remove a file in ``folder``; raises OSError if that is impossible (read-only
    file systems, and folders root may not write to despite ``os.access``)."""
    fd, probe = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}probe-", dir=folder)
    os.close(fd)
    os.unlink(probe)


def check_output_path(
    path: str | os.PathLike[str],
    *,
    bits: int = 8,
    inputs: Sequence[str | os.PathLike[str]] = (),
    extensions: Sequence[str] = (".png", ".jpg", ".jpeg", ".tif", ".tiff"),
) -> Path:
    """Check everything about an output file before any work is done; returns ``Path(path)``.

    Checks, in order: the path is not an existing directory; its extension is
    one of ``extensions``; ``bits`` is 8 or 16, and 16 only for PNG and TIFF
    (a JPEG or OpenEXR file cannot hold 16-bit integers: refused rather than
    silently written at another depth); its folder exists, is a folder and
    can be written to (checked with ``os.access`` and by creating and
    removing a probe file); an existing file there may be overwritten; it is
    not the same file as any of ``inputs`` (resolved paths, and
    ``os.path.samefile`` for hard links).

    Raises
    ------
    ImageFileError
        With one sentence naming the path and what to do.
    """
    p = Path(path)
    shown = str(path)
    if p.is_dir():
        raise ImageFileError(f"output {shown!r} is a directory; give a file name, e.g. {str(p / 'out.png')!r}")
    ext = p.suffix.lower()
    allowed = [e.lower() for e in extensions]
    if ext not in allowed:
        raise ImageFileError(f"output {shown!r} has extension {ext!r}; use one of {', '.join(sorted(set(allowed)))}")
    if bits not in (8, 16):
        raise ImageFileError(f"bits is {bits}; use 8 or 16")
    if bits == 16 and ext not in SIXTEEN_BIT:
        raise ImageFileError(
            f"--bits 16 needs a .png or .tif output, not {ext!r}: {shown!r} would hold only 8 bits per channel"
        )
    folder = p.absolute().parent
    if not folder.exists():
        raise ImageFileError(f"the folder of output {shown!r} does not exist")
    if not folder.is_dir():
        raise ImageFileError(f"the folder of output {shown!r} is not a folder ({str(folder)!r} is a file)")
    try:
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "permission denied")
        _probe_writable(folder)
    except OSError as err:
        reason = {
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            errno.EROFS: "read-only file system",
        }
        because = reason.get(err.errno or 0, "files cannot be created there")
        raise ImageFileError(f"the folder of output {shown!r} is not writable ({because})") from err
    if p.exists() and not os.access(p, os.W_OK):
        raise ImageFileError(f"output {shown!r} exists and is read-only; choose another name or make it writable")
    for source in inputs:
        if _same_file(p, Path(source)):
            raise ImageFileError(
                f"output {shown!r} is the input file {str(source)!r}; write to another file so the input is kept"
            )
    return p


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"terminated by signal {signum}")


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`core.errors.Terminated` (a KeyboardInterrupt).

    So ``finally`` blocks and ``except BaseException`` clean-ups run on SIGTERM
    as on Ctrl-C. The previous handler is restored on exit. Outside the main
    thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def write_atomically(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Write a file completely or not at all: ``write(temp)`` then rename ``temp`` over ``path``.

    ``temp`` is a new, empty, hidden ``.gass-*`` file in the same folder with
    the same extension (so a writer that picks the format from the name
    works), with the permissions a new file gets (or those of the file it
    replaces). The rename is atomic on one file system, so ``path`` holds
    either its previous contents or the complete new file, never a partial
    one. On any exception, Ctrl-C (KeyboardInterrupt) or SIGTERM (raised as
    :class:`core.errors.Terminated` for the duration, in the main thread) the
    temporary file is removed and the exception propagates; a previous file
    at ``path`` is left untouched.

    Examples
    --------
    >>> write_atomically("out.png", lambda temp: pil_image.save(temp, format="PNG"))
    """
    target = Path(path)
    previous_mode = stat.S_IMODE(target.stat().st_mode) if target.is_file() else None
    temp = target.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}-{target.stem}{target.suffix}")
    ours = True  # set before the file exists, so that no signal can come between creating and owning it
    with sigterm_raises():
        try:
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0666 minus the umask
            except FileExistsError:
                ours = False  # another file of that name: never remove it
                raise
            os.close(fd)
            if previous_mode is not None:
                os.chmod(temp, previous_mode)
            write(temp)
            os.replace(temp, target)
        except BaseException:
            if ours:
                temp.unlink(missing_ok=True)
            raise


def write_image(path: str | os.PathLike[str], image: np.ndarray, *, bits: int = 8) -> None:
    """Write (H, W, C) float values in [0, 1] to a PNG, JPEG or TIFF file.

    The file appears complete or not at all (see :func:`write_atomically`).

    Parameters
    ----------
    bits:
        8 or 16 (16 only for PNG and TIFF, and only for grey images).

    Raises
    ------
    ImageFileError
        Bad extension or bit depth, missing or unwritable folder, or the
        write failed (disk full, ...); the previous file, if any, is kept.
    """
    image_mod = _pillow()
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in WRITABLE:
        raise ImageFileError(f"output {str(p)!r} has extension {ext!r}; use one of {', '.join(sorted(WRITABLE))}")
    if bits not in (8, 16):
        raise ImageFileError(f"bits is {bits}; use 8 or 16")
    if bits == 16 and ext not in SIXTEEN_BIT:
        raise ImageFileError(f"--bits 16 needs a .png or .tif output, not {ext!r}")
    if not p.absolute().parent.is_dir():
        raise ImageFileError(f"the folder of output {str(p)!r} does not exist")
    a = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    c = a.shape[2]
    if ext in (".jpg", ".jpeg") and c in (2, 4):
        a, c = a[:, :, : c - 1], c - 1
    if bits == 16:
        if c != 1:
            raise ImageFileError(
                f"--bits 16 is supported for grey images only; {str(p)!r} would have {c} channels: use --bits 8"
            )
        pil = image_mod.fromarray(np.round(a[:, :, 0] * 65535.0).astype(np.uint16))  # mode I;16
    else:
        q8 = np.round(a * 255.0).astype(np.uint8)
        pil = image_mod.fromarray(q8[:, :, 0] if c == 1 else q8)  # L, LA, RGB or RGBA from the shape
    try:
        write_atomically(p, lambda temp: pil.save(temp, format=_FORMATS[ext]))
    except OSError as err:
        reason = err.strerror.lower() if err.strerror else str(err)
        raise ImageFileError(f"cannot write {str(p)!r}: {reason}; the previous file, if any, is kept") from err
