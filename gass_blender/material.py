"""The material a job's results go into, and one record of every edit made to it.

:func:`find_target` finds the material of the active object (and its active
Image Texture node) for a new texture; :func:`material_maps` reads a
material the way an artist wired it: the Image Texture nodes feeding the
Principled BSDF's Base Color, Roughness and Metallic (directly or through one
colour node), Normal (through a Normal Map node, or a Bump node's Height for
a height map), the Material Output's Displacement (through a Displacement
node), and a node whose image or label says "AO" / "ambient occlusion".

Every job edits a material through one :class:`MaterialEdit`, which records
each change by name (images set on nodes, nodes added, links replaced, the
active node, nodes turned on in Blender 4.x) so that ``revert()`` puts the
material back exactly: :func:`link_output` (a new texture into the active
Image Texture node or a new node on the Base Color), :func:`wire_maps` (PBR
maps into the nodes that feed them) and :func:`replace_image` (make-tileable
and fill: the result wherever the material showed the source).

Main thread only (bpy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import bpy

from .core import GassError


class SetupError(GassError):
    """The scene is not ready for a synthesis (no active object, no material...)."""


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
        """For messages: "Image Texture node 'Image Texture' of material 'Bricks'" (or the new node's place)."""
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


def _refuse_library(material: bpy.types.Material) -> None:
    if material.library is not None:
        raise SetupError(f"Material '{material.name}' is linked from a library and cannot be changed")


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
    _refuse_library(material)
    node = active_image_node(material)
    bsdf = _principled(material.node_tree) if material.node_tree is not None and _uses_nodes(material) else None
    return Target(
        object_name=obj.name,
        material_name=material.name,
        node_name=node.name if node is not None else None,
        bsdf_name=bsdf.name if bsdf is not None else None,
    )


#: Principled BSDF inputs fed directly by an Image Texture node, by map kind.
DIRECT_INPUTS = {"color": "Base Color", "roughness": "Roughness", "metallic": "Metallic"}

_AO_NAME = re.compile(r"(^|[^a-z])(ao|ambient[ _.-]?occlusion|occlusion)([^a-z]|$)", re.IGNORECASE)


def _image_node_upstream(socket: Any, depth: int = 2) -> bpy.types.ShaderNodeTexImage | None:
    """The Image Texture node feeding ``socket``, directly or through up to ``depth`` other nodes."""
    if not socket.is_linked or not socket.links:
        return None
    node = socket.links[0].from_node
    if isinstance(node, bpy.types.ShaderNodeTexImage):
        return node
    if depth <= 0 or node.type in ("NORMAL_MAP", "BUMP", "DISPLACEMENT"):
        return None
    for inp in node.inputs:
        if inp.is_linked:
            found = _image_node_upstream(inp, depth - 1)
            if found is not None:
                return found
    return None


def _through(socket: Any, node_type: str, input_name: str) -> bpy.types.ShaderNodeTexImage | None:
    """The Image Texture node feeding ``input_name`` of a ``node_type`` node that feeds ``socket``."""
    if not socket.is_linked or not socket.links:
        return None
    node = socket.links[0].from_node
    if node.type != node_type or input_name not in node.inputs:
        return None
    return _image_node_upstream(node.inputs[input_name], 1)


def material_maps(material: bpy.types.Material | None) -> dict[str, str]:
    """Map kind -> name of the Image Texture node that feeds it in ``material``."""
    if material is None or not _uses_nodes(material) or material.node_tree is None:
        return {}
    tree = material.node_tree
    found: dict[str, bpy.types.ShaderNodeTexImage] = {}
    bsdf = _principled(tree)
    if bsdf is not None:
        for kind, name in DIRECT_INPUTS.items():
            node = _image_node_upstream(bsdf.inputs[name]) if name in bsdf.inputs else None
            if node is not None:
                found[kind] = node
        normal_in = bsdf.inputs.get("Normal")
        if normal_in is not None:
            node = _through(normal_in, "NORMAL_MAP", "Color")
            if node is not None:
                found["normal"] = node
            node = _through(normal_in, "BUMP", "Height")
            if node is not None:
                found["height"] = node
            if normal_in.is_linked and normal_in.links[0].from_node.type == "BUMP" and "normal" not in found:
                node = _through(normal_in.links[0].from_node.inputs["Normal"], "NORMAL_MAP", "Color")
                if node is not None:
                    found["normal"] = node
    output = tree.get_output_node("ALL") if isinstance(tree, bpy.types.ShaderNodeTree) else None
    if output is not None and "height" not in found and "Displacement" in output.inputs:
        node = _through(output.inputs["Displacement"], "DISPLACEMENT", "Height")
        if node is not None:
            found["height"] = node
    used = {n.name for n in found.values()}
    for candidate in tree.nodes:
        if "ao" in found:
            break
        if not isinstance(candidate, bpy.types.ShaderNodeTexImage) or candidate.image is None or candidate.name in used:
            continue
        if _AO_NAME.search(candidate.image.name) or _AO_NAME.search(candidate.label):
            found["ao"] = candidate
    return {kind: node.name for kind, node in found.items()}


@dataclass
class MaterialEdit:
    """Every change a job made to one material, so that :meth:`revert` puts it back exactly.

    Everything is kept by name, never as a Python reference to Blender data:
    references die when the user undoes, redoes, loads a file or deletes data
    during a run. Start one with :meth:`open`.

    Attributes
    ----------
    material_name:
        The material edited.
    destination:
        Where the results went, for the report.
    enabled_nodes:
        Blender 4.x: the material's nodes were off and were turned on.
    previous_active:
        The material's active node before the edit.
    images:
        (node, its previous image or None), in the order they were set.
    created:
        Nodes added.
    links:
        (node, input socket identifier, what fed that input before as (node,
        output socket identifier) or None), in the order they were made.
    warnings:
        What the artist should know (e.g. a node that could not be linked).
    """

    material_name: str
    destination: str = ""
    enabled_nodes: bool = False
    previous_active: str | None = None
    images: list[tuple[str, str | None]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    links: list[tuple[str, str, tuple[str, str] | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, material_name: str, *, enable_nodes: bool = False) -> tuple[MaterialEdit, bpy.types.NodeTree]:
        """Start recording edits of a material; returns the record and the material's node tree.

        With ``enable_nodes`` a Blender 4.x material whose nodes are off gets
        them turned on (and off again by :meth:`revert`); otherwise that is a
        :class:`SetupError`, as is a material linked from a library.
        """
        material = bpy.data.materials.get(material_name)
        if material is None:
            raise SetupError(f"Material '{material_name}' no longer exists")
        _refuse_library(material)
        edit = cls(material.name)
        if enable_nodes and not _uses_nodes(material):
            material.use_nodes = True  # Blender 4.x: new materials have use_nodes off
            edit.enabled_nodes = True
        tree = material.node_tree
        if tree is None or not _uses_nodes(material):
            edit.revert()
            raise SetupError(f"Material '{material_name}' has no node tree; enable its nodes (Use Nodes) first")
        edit.previous_active = tree.nodes.active.name if tree.nodes.active is not None else None
        return edit, tree

    def set_image(self, node: bpy.types.ShaderNodeTexImage, image: bpy.types.Image) -> None:
        """Show ``image`` in ``node``, remembering its previous image."""
        self.images.append((node.name, node.image.name if node.image is not None else None))
        node.image = image

    def new_node(
        self, tree: bpy.types.NodeTree, node_type: str, label: str, location: tuple[float, float] | None = None
    ) -> Any:
        """Add a node (removed again by :meth:`revert`)."""
        node = tree.nodes.new(node_type)
        node.label = label
        if location is not None:
            node.location = location
        self.created.append(node.name)
        return node

    def link(self, tree: bpy.types.NodeTree, from_socket: Any, to_socket: Any) -> None:
        """Link two sockets, remembering what fed ``to_socket`` before."""
        previous = None
        if to_socket.is_linked and to_socket.links:
            old = to_socket.links[0]
            previous = (old.from_node.name, old.from_socket.identifier)
        self.links.append((to_socket.node.name, to_socket.identifier, previous))
        tree.links.new(from_socket, to_socket)

    def revert(self) -> None:
        """Put the material back exactly as it was (what no longer exists is skipped)."""
        material = bpy.data.materials.get(self.material_name)
        tree = material.node_tree if material is not None else None
        if material is None or tree is None:
            return
        for name in reversed(self.created):
            node = tree.nodes.get(name)
            if node is not None:
                tree.nodes.remove(node)
        for to_name, to_id, previous in reversed(self.links):
            _restore_link(tree, to_name, to_id, previous)
        for node_name, image_name in reversed(self.images):
            node = tree.nodes.get(node_name)
            if isinstance(node, bpy.types.ShaderNodeTexImage):
                node.image = bpy.data.images.get(image_name) if image_name else None
        if self.previous_active is not None and self.previous_active in tree.nodes:
            tree.nodes.active = tree.nodes[self.previous_active]
        if self.enabled_nodes:
            material.use_nodes = False


def _restore_link(tree: bpy.types.NodeTree, to_name: str, to_id: str, previous: tuple[str, str] | None) -> None:
    """Feed input ``to_id`` of node ``to_name`` from ``previous`` (node, output identifier) again, or from nothing."""
    sink = tree.nodes.get(to_name)
    inp = next((s for s in sink.inputs if s.identifier == to_id), None) if sink is not None else None
    if inp is None:
        return
    if previous is None:
        for stale in list(inp.links):
            tree.links.remove(stale)
        return
    source = tree.nodes.get(previous[0])
    out = next((s for s in source.outputs if s.identifier == previous[1]), None) if source is not None else None
    if out is not None:
        tree.links.new(out, inp)


def link_output(target: Target, image: bpy.types.Image) -> MaterialEdit:
    """Show ``image`` in the target material; the returned record undoes it.

    Into the active Image Texture node if there is one; otherwise into a new
    Image Texture node (made active) linked to the Principled BSDF's Base Color.
    """
    edit, tree = MaterialEdit.open(target.material_name, enable_nodes=True)
    node = tree.nodes.get(target.node_name) if target.node_name is not None else None
    if isinstance(node, bpy.types.ShaderNodeTexImage):
        edit.set_image(node, image)
        edit.destination = target.describe()
        return edit
    bsdf = tree.nodes.get(target.bsdf_name) if target.bsdf_name else _principled(tree)
    location = (bsdf.location.x - 320.0, bsdf.location.y) if bsdf is not None else None
    tex = edit.new_node(tree, "ShaderNodeTexImage", "GASS texture", location)
    edit.set_image(tex, image)
    if bsdf is not None:
        edit.link(tree, tex.outputs["Color"], bsdf.inputs["Base Color"])
    else:
        edit.warnings.append(
            f"Material '{edit.material_name}' has no Principled BSDF: the new Image Texture node "
            f"'{tex.name}' is not linked; connect its Color output yourself"
        )
    tree.nodes.active = tex
    done = Target(target.object_name, edit.material_name, None, bsdf.name if bsdf is not None else None)
    edit.destination = done.describe()
    return edit


def wire_maps(material_name: str, images: dict[str, bpy.types.Image]) -> MaterialEdit:
    """Put each map's image into the node that feeds that map in the material.

    Kinds without a node get one: colour, roughness and metallic are linked
    to the Principled BSDF, a normal map through a new Normal Map node; a
    height or AO map without a node gets an unlinked node (and a warning).
    """
    edit, tree = MaterialEdit.open(material_name)
    edit.destination = f"material '{edit.material_name}'"
    existing = material_maps(bpy.data.materials[edit.material_name])
    bsdf = _principled(tree)
    x0, y0 = (bsdf.location.x - 700.0, bsdf.location.y) if bsdf is not None else (-700.0, 0.0)
    for row, (kind, image) in enumerate(images.items()):
        node = tree.nodes.get(existing[kind]) if kind in existing else None
        if isinstance(node, bpy.types.ShaderNodeTexImage):
            edit.set_image(node, image)
            continue
        tex = edit.new_node(tree, "ShaderNodeTexImage", f"GASS {kind}", (x0, y0 - 300.0 * row))
        edit.set_image(tex, image)
        if bsdf is not None and kind in DIRECT_INPUTS:
            edit.link(tree, tex.outputs["Color"], bsdf.inputs[DIRECT_INPUTS[kind]])
        elif bsdf is not None and kind == "normal":
            normal_map = edit.new_node(tree, "ShaderNodeNormalMap", "GASS normal", (x0 + 320.0, y0 - 300.0 * row))
            edit.link(tree, tex.outputs["Color"], normal_map.inputs["Color"])
            edit.link(tree, normal_map.outputs["Normal"], bsdf.inputs["Normal"])
        else:
            edit.warnings.append(
                f"The {kind} map '{image.name}' is in a new Image Texture node of material '{edit.material_name}' "
                "that is not linked: connect it yourself"
            )
    return edit


def replace_image_targets(material: bpy.types.Material, old: str) -> list[str]:
    """Names of the Image Texture nodes of ``material`` that show image ``old``."""
    if not _uses_nodes(material) or material.node_tree is None or material.library is not None:
        return []
    return [
        node.name
        for node in material.node_tree.nodes
        if isinstance(node, bpy.types.ShaderNodeTexImage) and node.image is not None and node.image.name == old
    ]


def replace_image(material: bpy.types.Material | None, old: str, image: bpy.types.Image) -> MaterialEdit | None:
    """Show ``image`` instead of image ``old`` in every Image Texture node of ``material`` using it.

    None when the material has no such node (nothing changed).
    """
    if material is None or material.node_tree is None:
        return None
    names = replace_image_targets(material, old)
    if not names:
        return None
    edit, tree = MaterialEdit.open(material.name)
    edit.destination = f"the nodes of material '{edit.material_name}' that showed '{old}'"
    for name in names:
        node = tree.nodes[name]
        assert isinstance(node, bpy.types.ShaderNodeTexImage)
        edit.set_image(node, image)
    return edit
