"""Image datablocks <-> engine arrays: reading exemplars, new output images, writing pixels.

Reading: :func:`read_exemplar` checks an image datablock and copies its
pixels (``foreach_get``, never modifying the image). :func:`plan_output`
decides the output's colourspace and depth from the exemplars and brings
their pixels to one encoding. Writing: :func:`new_output_image` creates the
output datablock with its colourspace set before any pixel is written, and
:func:`write_pixels` fills it (``image.pack()`` then keeps it in the .blend).
The pixel layout itself (row order, sRGB) is :mod:`.pixels`, NumPy only.

Only the main thread may call this module (bpy is not thread-safe).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import bpy
import numpy as np

from . import pixels
from .core import InvalidExemplarError
from .core.exemplars import MAX_EXEMPLAR_PIXELS

#: Colourspace of data maps (normal, roughness, height) in Blender's OCIO config.
DATA_COLORSPACE = "Non-Color"


@dataclass(frozen=True)
class ExemplarPixels:
    """The pixels of one exemplar image, copied out of Blender.

    Attributes
    ----------
    name:
        The image datablock's name.
    pixels:
        (H, W, C) float32, top row first, C = Blender's channel count
        (usually 4). Byte images: the stored values / 255 in the image's own
        encoding (e.g. sRGB-encoded); float images: scene-linear values
        (raw values for Non-Color).
    is_float:
        True for float images (EXR, 16-bit PNG...).
    colorspace:
        ``colorspace_settings.name``.
    is_data:
        True for Non-Color data maps.
    """

    name: str
    pixels: np.ndarray
    is_float: bool
    colorspace: str
    is_data: bool


@dataclass(frozen=True)
class OutputFormat:
    """How the output image stores its pixels.

    Attributes
    ----------
    float_buffer:
        A float image (packed as OpenEXR) instead of a byte image (PNG).
    colorspace:
        Colourspace to set before writing pixels; None keeps Blender's
        default for a new image of that kind (scene linear for float).
    is_data:
        Non-Color data: values are never converted.
    linear:
        The engine works on linear values (float outputs of colour images).
    """

    float_buffer: bool
    colorspace: str | None
    is_data: bool
    linear: bool


def image_size(image: bpy.types.Image) -> tuple[int, int]:
    """(width, height) in pixels; (0, 0) when the image has no pixels."""
    size: Any = image.size  # the stubs type bpy_prop_array as not indexable
    return int(size[0]), int(size[1])


def pixel_buffer(image: bpy.types.Image) -> Any:
    """``image.pixels`` (untyped: the stubs lack len() and numpy support for it)."""
    return image.pixels


def image_label(image: bpy.types.Image) -> str:
    """The image's name in quotes, for messages."""
    return f"'{image.name}'"


def image_path(image: bpy.types.Image) -> str:
    """The absolute path of an image's file."""
    return str(bpy.path.abspath(image.filepath, library=image.library))


def _reads_from_file(image: bpy.types.Image) -> bool:
    return image.source == "FILE" and image.packed_file is None


def file_missing(image: bpy.types.Image) -> bool:
    """True for a file image that is not packed and whose file does not exist (cheap: one stat)."""
    return _reads_from_file(image) and not os.path.isfile(image_path(image))


def read_exemplar(image: bpy.types.Image | None, index: int, *, min_side: int) -> ExemplarPixels:
    """Check one exemplar image and copy its pixels.

    Parameters
    ----------
    image:
        The image datablock (any source: file, packed, generated).
    index:
        1-based row of the exemplar list, for messages.
    min_side:
        Smallest side allowed (twice the patch size).

    Raises
    ------
    InvalidExemplarError
        Empty row, missing file, no pixels, too small or too large, with a
        message that says what to do. Nothing is modified.
    """
    if image is None:
        raise InvalidExemplarError(f"Exemplar row {index} has no image: pick one in the list or remove the row")
    label = image_label(image)
    if image.source == "VIEWER":
        raise InvalidExemplarError(f"Image {label} is a render or viewer result: save it as an image first")
    if image.source == "TILED":
        raise InvalidExemplarError(f"Image {label} is a UDIM tiled image; GASS reads single images")
    width, height = image_size(image)
    if width * height > MAX_EXEMPLAR_PIXELS:
        raise InvalidExemplarError(
            f"Image {label} is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels); exemplars may have "
            f"at most {MAX_EXEMPLAR_PIXELS / 1e6:.1f} megapixels (4096x4096): use a scaled-down copy (Image > Resize)"
        )
    buffer = pixel_buffer(image)
    count = len(buffer) if width * height > 0 else 0
    if count == 0:
        if file_missing(image):
            raise InvalidExemplarError(
                f"Image {label} has no pixels: its file '{image_path(image)}' is missing. Locate it (Image > "
                "Replace, or File > External Data > Find Missing Files) or pick another image"
            )
        if _reads_from_file(image):
            raise InvalidExemplarError(
                f"Image {label} has no pixels: Blender cannot read its file '{image_path(image)}'"
            )
        raise InvalidExemplarError(f"Image {label} has no pixels (source {image.source.lower()})")
    if min(width, height) < min_side:
        raise InvalidExemplarError(
            f"Image {label} is {width}x{height} pixels; exemplars need at least {min_side}x{min_side} "
            "(twice the patch size): pick a larger image"
        )
    channels = count // (width * height)
    if channels * width * height != count or channels not in (1, 2, 3, 4):
        raise InvalidExemplarError(f"Image {label} has {count} values for {width}x{height} pixels; cannot read it")
    flat = np.empty(count, dtype=np.float32)
    buffer.foreach_get(flat)
    settings = image.colorspace_settings
    assert settings is not None
    return ExemplarPixels(
        name=image.name,
        pixels=pixels.from_blender(flat, width, height, channels),
        is_float=bool(image.is_float),
        colorspace=str(settings.name),
        is_data=bool(settings.is_data),
    )


def _is_linear_name(colorspace: str) -> bool:
    return "linear" in colorspace.lower()


def keeps_alpha(exemplar: ExemplarPixels, *, alpha_is_mask: bool = False) -> bool:
    """Whether a make-tileable or fill result keeps the image's alpha: when it has an alpha channel
    that is used (not opaque everywhere), or that marks the region to fill."""
    pixels = exemplar.pixels
    return pixels.shape[2] in (2, 4) and (alpha_is_mask or float(pixels[:, :, -1].min()) < 1.0)


def plan_output(exemplars: list[ExemplarPixels], *, alpha: bool = False) -> tuple[OutputFormat, list[np.ndarray]]:
    """The output's format and the exemplars' pixels in the encoding the engine should use.

    * All Non-Color: Non-Color output (float if any exemplar is float), values untouched.
    * Colour, all byte, one colourspace: byte output in that colourspace
      (usually sRGB), the stored values untouched.
    * Colour with a float exemplar (or byte exemplars of differing
      colourspaces): float output in scene linear; sRGB byte exemplars are
      converted to linear.

    Returns RGB arrays (RGBA with ``alpha``), top row first.

    Raises
    ------
    InvalidExemplarError
        When colour images and Non-Color data maps are mixed, or a byte
        exemplar's colourspace cannot be converted to linear.
    """
    data = [e for e in exemplars if e.is_data]
    if data and len(data) != len(exemplars):
        colour = next(e for e in exemplars if not e.is_data)
        raise InvalidExemplarError(
            f"Exemplars mix a Non-Color data map ('{data[0].name}') and a colour image ('{colour.name}', "
            f"{colour.colorspace}); use one kind per synthesis"
        )
    keep = 4 if alpha else 3

    def channels(a: np.ndarray) -> np.ndarray:
        if a.shape[2] >= 3:
            return np.ascontiguousarray(a[:, :, :keep])
        return np.ascontiguousarray(a[:, :, : (2 if alpha else 1)])

    any_float = any(e.is_float for e in exemplars)
    if data:
        fmt = OutputFormat(float_buffer=any_float, colorspace=DATA_COLORSPACE, is_data=True, linear=False)
        return fmt, [channels(e.pixels) for e in exemplars]
    spaces = {e.colorspace for e in exemplars}
    if not any_float and len(spaces) == 1:
        fmt = OutputFormat(float_buffer=False, colorspace=spaces.pop(), is_data=False, linear=False)
        return fmt, [channels(e.pixels) for e in exemplars]
    arrays = []
    for e in exemplars:
        a = channels(e.pixels)
        if not e.is_float and not _is_linear_name(e.colorspace):
            if e.colorspace != "sRGB":
                raise InvalidExemplarError(
                    f"Image '{e.name}' is a byte image in colourspace {e.colorspace}, mixed with float or other "
                    "exemplars; set its colourspace to sRGB or use exemplars of one kind"
                )
            a = pixels.convert_rgb(a, pixels.srgb_to_linear)
        arrays.append(a)
    return OutputFormat(float_buffer=True, colorspace=None, is_data=False, linear=True), arrays


def set_colorspace(image: bpy.types.Image, name: str) -> None:
    """Set an image's colourspace (before writing pixels: changing it later blanks the image)."""
    settings: Any = image.colorspace_settings  # the stubs list only a fixed set of names
    settings.name = name


def new_output_image(name: str, width: int, height: int, fmt: OutputFormat, *, alpha: bool = False) -> bpy.types.Image:
    """A new generated image for the result, colourspace already set."""
    image = bpy.data.images.new(name, width, height, alpha=alpha, float_buffer=fmt.float_buffer)
    if fmt.colorspace is not None:
        set_colorspace(image, fmt.colorspace)
    return image


def write_pixels(image: bpy.types.Image, flat: np.ndarray) -> None:
    """Write Blender-layout RGBA float32 pixels (see :func:`pixels.to_blender`) into ``image``."""
    width, height = image_size(image)
    expected = width * height * image.channels
    if flat.dtype != np.float32 or flat.size != expected or not flat.flags.c_contiguous:
        raise ValueError(f"pixels for {image.name!r}: need {expected} contiguous float32, got {flat.size} {flat.dtype}")
    pixel_buffer(image).foreach_set(flat)
    image.update()
