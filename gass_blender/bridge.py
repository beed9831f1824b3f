"""Blender data <-> engine arrays, and the material the result goes into.

Reading: :func:`read_exemplar` checks an image datablock and copies its
pixels (``foreach_get``, never modifying the image). :func:`plan_output`
decides the output's colourspace and depth from the exemplars and brings
their pixels to one encoding. Writing: :func:`new_output_image` creates the
output datablock with its colourspace set before any pixel is written,
:func:`write_pixels` fills it, :func:`pack` keeps it in the .blend.
Linking: :func:`find_target` finds the material, :func:`link_output` puts the
image into it and returns a :class:`LinkChange` whose ``revert()`` undoes
exactly what it did.

Only the main thread may call this module (bpy is not thread-safe).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bpy
import numpy as np

from . import pixels
from .core import GassError, ImageFileError, InvalidExemplarError
from .core.exemplars import MAX_EXEMPLAR_PIXELS
from .core.imageio import check_input_path, write_atomically
from .core.imageio import check_output_path as core_check_output_path

#: Colourspace of data maps (normal, roughness, height) in Blender's OCIO config.
DATA_COLORSPACE = "Non-Color"

FILE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".exr": "OPEN_EXR"}


class SetupError(GassError):
    """The scene is not ready for a synthesis (no active object, no material...)."""


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


def _pixel_buffer(image: bpy.types.Image) -> Any:
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
    buffer = _pixel_buffer(image)
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
            a = _convert_rgb(a, pixels.srgb_to_linear)
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
    _pixel_buffer(image).foreach_set(flat)
    image.update()


def pack(image: bpy.types.Image) -> None:
    """Pack a generated image into the .blend (PNG for byte, OpenEXR for float), so it survives save and reload."""
    image.pack()


# -- material -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The material that gets the result, and where in it.

    Attributes
    ----------
    object_name, material_name:
        The active object and its active material.
    node_name:
        The active Image Texture node whose image is replaced, or None: a new
        Image Texture node is added and linked to the Principled BSDF.
    bsdf_name:
        The Principled BSDF whose Base Color gets the new node, if any.
    """

    object_name: str
    material_name: str
    node_name: str | None
    bsdf_name: str | None

    def describe(self) -> str:
        """'material 'Bricks' (node 'Image Texture')' for messages."""
        if self.node_name is not None:
            return f"Image Texture node '{self.node_name}' of material '{self.material_name}'"
        if self.bsdf_name is not None:
            return f"a new Image Texture node in material '{self.material_name}' (Base Color of '{self.bsdf_name}')"
        return f"a new Image Texture node in material '{self.material_name}' (not linked: no Principled BSDF)"


def _uses_nodes(material: bpy.types.Material) -> bool:
    if bpy.app.version >= (5, 0, 0):  # 5.0: materials always use nodes; use_nodes is deprecated
        return material.node_tree is not None
    return bool(material.use_nodes) and material.node_tree is not None


def _principled(tree: bpy.types.NodeTree) -> bpy.types.Node | None:
    """The Principled BSDF feeding the active output, else the first one."""
    output = tree.get_output_node("ALL") if isinstance(tree, bpy.types.ShaderNodeTree) else None
    if output is not None:
        surface = output.inputs.get("Surface")
        if surface is not None and surface.is_linked:
            source = surface.links[0].from_node
            if source.type == "BSDF_PRINCIPLED":
                return source
    return next((n for n in tree.nodes if n.type == "BSDF_PRINCIPLED"), None)


def active_image_node(material: bpy.types.Material | None) -> bpy.types.ShaderNodeTexImage | None:
    """The active node of the material if it is an Image Texture node."""
    if material is None or not _uses_nodes(material):
        return None
    tree = material.node_tree
    assert tree is not None
    node = tree.nodes.active
    return node if isinstance(node, bpy.types.ShaderNodeTexImage) else None


def find_target(context: bpy.types.Context) -> Target:
    """Where the result goes, from the active object; raises :class:`SetupError` with what to do."""
    obj = context.active_object
    if obj is None:
        raise SetupError(
            "No active object: click the object that should get the texture (e.g. add a plane with Shift+A), "
            "give it a material, then run Synthesize again"
        )
    if obj.data is None or not hasattr(obj.data, "materials"):
        raise SetupError(f"The active object '{obj.name}' ({obj.type.lower()}) cannot have a material: select a mesh")
    material = obj.active_material
    if material is None:
        raise SetupError(
            f"The active object '{obj.name}' has no material: add one (Material Properties > New), "
            "then run Synthesize again"
        )
    if material.library is not None:
        raise SetupError(f"Material '{material.name}' is linked from a library and cannot be changed")
    node = active_image_node(material)
    bsdf = _principled(material.node_tree) if material.node_tree is not None and _uses_nodes(material) else None
    return Target(
        object_name=obj.name,
        material_name=material.name,
        node_name=node.name if node is not None else None,
        bsdf_name=bsdf.name if bsdf is not None else None,
    )


@dataclass
class LinkChange:
    """What :func:`link_output` changed in a material, so that :meth:`revert` can undo it.

    Everything is kept by name, not by Python reference: references become
    invalid if the user undoes or deletes data while a run is under way.
    """

    material_name: str
    node_name: str
    created_node: bool = False
    enabled_nodes: bool = False
    previous_image: str | None = None
    previous_active: str | None = None
    previous_base_color: tuple[str, str, str] | None = None
    linked_bsdf: str | None = None
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """Where the output went, as it was done (for the report)."""
        if not self.created_node:
            return f"Image Texture node '{self.node_name}' of material '{self.material_name}'"
        if self.linked_bsdf is not None:
            return f"a new Image Texture node in material '{self.material_name}' (Base Color of '{self.linked_bsdf}')"
        return f"a new Image Texture node in material '{self.material_name}' (not linked: no Principled BSDF)"

    def node(self) -> bpy.types.ShaderNodeTexImage | None:
        """The Image Texture node that shows the output, if it still exists."""
        material = bpy.data.materials.get(self.material_name)
        if material is None or material.node_tree is None:
            return None
        node = material.node_tree.nodes.get(self.node_name)
        return node if isinstance(node, bpy.types.ShaderNodeTexImage) else None

    def revert(self) -> None:
        """Put the material back exactly as it was before :func:`link_output`."""
        material = bpy.data.materials.get(self.material_name)
        if material is None or material.node_tree is None:
            return
        tree = material.node_tree
        node = tree.nodes.get(self.node_name)
        if self.created_node:
            if node is not None:
                tree.nodes.remove(node)
            if self.previous_base_color is not None:
                _relink_base_color(tree, self.previous_base_color)
        elif isinstance(node, bpy.types.ShaderNodeTexImage):
            node.image = bpy.data.images.get(self.previous_image) if self.previous_image else None
        if self.previous_active is not None and self.previous_active in tree.nodes:
            tree.nodes.active = tree.nodes[self.previous_active]
        if self.enabled_nodes:
            material.use_nodes = False


def _relink_base_color(tree: bpy.types.NodeTree, previous: tuple[str, str, str]) -> None:
    """Restore the link that fed a Base Color before: (BSDF name, from node name, from socket identifier)."""
    bsdf_name, from_name, from_socket = previous
    bsdf = tree.nodes.get(bsdf_name)
    source = tree.nodes.get(from_name)
    if source is None or bsdf is None or "Base Color" not in bsdf.inputs:
        return
    socket = next((s for s in source.outputs if s.identifier == from_socket), None)
    if socket is not None:
        tree.links.new(socket, bsdf.inputs["Base Color"])


def link_output(target: Target, image: bpy.types.Image) -> LinkChange:
    """Show ``image`` in the target material and record how to undo it.

    Into the active Image Texture node if there is one; otherwise into a new
    Image Texture node (made active) linked to the Principled BSDF's Base Color.
    """
    material = bpy.data.materials[target.material_name]
    enabled = False
    if not _uses_nodes(material):
        material.use_nodes = True  # Blender 4.x: new materials have use_nodes off
        enabled = True
    tree = material.node_tree
    if tree is None:
        raise SetupError(f"Material '{material.name}' has no node tree")
    previous_active = tree.nodes.active.name if tree.nodes.active is not None else None
    if target.node_name is not None and isinstance(tree.nodes.get(target.node_name), bpy.types.ShaderNodeTexImage):
        node = tree.nodes[target.node_name]
        assert isinstance(node, bpy.types.ShaderNodeTexImage)
        change = LinkChange(
            material.name,
            node.name,
            enabled_nodes=enabled,
            previous_image=node.image.name if node.image is not None else None,
            previous_active=previous_active,
        )
        node.image = image
        return change
    bsdf = tree.nodes.get(target.bsdf_name) if target.bsdf_name else _principled(tree)
    node = tree.nodes.new("ShaderNodeTexImage")
    assert isinstance(node, bpy.types.ShaderNodeTexImage)
    node.label = "GASS texture"
    node.image = image
    change = LinkChange(material.name, node.name, created_node=True, enabled_nodes=enabled)
    change.previous_active = previous_active
    if bsdf is not None:
        node.location = (bsdf.location.x - 320.0, bsdf.location.y)
        base = bsdf.inputs["Base Color"]
        links: Any = base.links
        if base.is_linked and links:
            link = links[0]
            change.previous_base_color = (bsdf.name, link.from_node.name, link.from_socket.identifier)
        outputs: Any = node.outputs
        tree.links.new(outputs["Color"], base)
        change.linked_bsdf = bsdf.name
    else:
        change.warnings.append(
            f"Material '{material.name}' has no Principled BSDF: the new Image Texture node "
            f"'{node.name}' is not linked; connect its Color output yourself"
        )
    tree.nodes.active = node
    return change


# -- files (command line) -----------------------------------------------------


def load_image_file(path: str, *, role: str = "exemplar") -> bpy.types.Image:
    """Load an image file as a new datablock; raises :class:`ImageFileError` if Blender cannot.

    ``role`` names the file in messages ("exemplar", "image", "mask").
    """
    p = check_input_path(path, role=role)
    try:
        return bpy.data.images.load(str(p.resolve()), check_existing=False)
    except RuntimeError as err:
        raise ImageFileError(f"{role} file '{path}' is not an image Blender can read") from err


def check_output_path(path: str, bits: int = 8, inputs: Sequence[str] = ()) -> str:
    """The Blender file format for an output path, after every check that can be made before the run.

    :func:`core.imageio.check_output_path`: not a directory, a known
    extension, ``--bits 16`` only for PNG and TIFF, an existing writable
    folder, not a read-only file, not one of ``inputs``. Raises
    :class:`ImageFileError` with one sentence.
    """
    checked = core_check_output_path(path, bits=bits, inputs=inputs, extensions=tuple(FILE_FORMATS))
    return FILE_FORMATS[checked.suffix.lower()]


def save_image_file(result: np.ndarray, path: str, fmt: OutputFormat, *, bits: int = 8) -> None:
    """Write an engine result to an image file with Blender's own writers, completely or not at all.

    Parameters
    ----------
    result:
        (H, W, C) float32, top row first, in the encoding ``fmt`` describes.
    path:
        .png, .jpg/.jpeg, .tif/.tiff or .exr.
    bits:
        8 or 16 (16 for PNG and TIFF only). OpenEXR is always float and
        linear; the other formats get sRGB-encoded colour (data maps raw).

    Notes
    -----
    The file is written beside ``path`` under a hidden temporary name and
    renamed over it (:func:`core.imageio.write_atomically`): an error, Ctrl-C
    or SIGTERM during the write leaves the previous file at ``path`` as it
    was and no temporary file behind.
    """
    file_format = check_output_path(path, bits)
    # Compute the file's values here and write them untouched (a Non-Color image): Blender's own
    # conversions on save differ between versions (measured: a float "Linear Rec.709" image saved
    # as OpenEXR holds sRGB-encoded values in 4.2 and 5.0, and 5.0 tags the file as sRGB).
    values = result
    if file_format == "OPEN_EXR":  # OpenEXR holds linear light
        if not fmt.is_data and not fmt.linear and fmt.colorspace == "sRGB":
            values = _convert_rgb(result, pixels.srgb_to_linear)
    elif fmt.linear:  # PNG, JPEG, TIFF hold sRGB-encoded colour
        values = _convert_rgb(result, pixels.linear_to_srgb)
    float_buffer = file_format == "OPEN_EXR" or bits == 16
    if not float_buffer:
        values = np.clip(values, 0.0, 1.0)

    def write(temp: Path) -> None:
        _write_with_blender(values, temp, file_format, float_buffer=float_buffer, shown=path)

    write_atomically(path, write)


def _write_with_blender(values: np.ndarray, path: Path, file_format: str, *, float_buffer: bool, shown: str) -> None:
    """Save (H, W, C) values untouched into ``path`` through a temporary image datablock."""
    h, w, c = values.shape
    image = bpy.data.images.new("gass-cli-output", w, h, alpha=c in (2, 4), float_buffer=float_buffer)
    try:
        set_colorspace(image, DATA_COLORSPACE)
        image.file_format = file_format  # type: ignore[assignment]
        _pixel_buffer(image).foreach_set(pixels.to_blender(values))
        image.filepath_raw = str(path.resolve())
        try:
            image.save()
        except RuntimeError as err:  # Blender's message names the datablock: say what failed instead
            raise ImageFileError(f"cannot write output '{shown}': Blender could not save it as {file_format}") from err
    finally:
        bpy.data.images.remove(image)


def _convert_rgb(image: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a transfer function to the colour channels, never to alpha."""
    out = image.copy()
    n = 3 if image.shape[2] >= 3 else 1
    out[:, :, :n] = fn(image[:, :, :n])
    return out
