"""PBR materials: which Image Texture node feeds which map, and edits that can be undone.

:func:`material_maps` reads a material the way an artist wired it: the Image
Texture nodes feeding the Principled BSDF's Base Color, Roughness and
Metallic (directly or through one colour node), Normal (through a Normal Map
node, or a Bump node's Height for a height map), the Material Output's
Displacement (through a Displacement node), and a node whose image or label
says "AO" / "ambient occlusion". :class:`MaterialEdit` records every change
:func:`wire_maps` and :func:`replace_image` make (images set on nodes, nodes
added, links replaced) so that ``revert()`` puts the material back exactly.

Main thread only (bpy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import bpy

from .bridge import SetupError, _principled, _uses_nodes

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
    """Changes made to one material, recorded by name so that :meth:`revert` can undo them.

    Names, not Python references: references die when the user undoes or
    deletes data during a run.
    """

    material_name: str
    images: list[tuple[str, str | None]] = field(default_factory=list)  # (node, previous image)
    created: list[str] = field(default_factory=list)  # nodes added
    links: list[tuple[str, str, str, str] | None] = field(default_factory=list)  # replaced links
    previous_active: str | None = None
    warnings: list[str] = field(default_factory=list)

    def _tree(self) -> bpy.types.NodeTree | None:
        material = bpy.data.materials.get(self.material_name)
        return material.node_tree if material is not None else None

    def set_image(self, node: bpy.types.ShaderNodeTexImage, image: bpy.types.Image) -> None:
        """Show ``image`` in ``node``, remembering its previous image."""
        self.images.append((node.name, node.image.name if node.image is not None else None))
        node.image = image

    def new_node(self, tree: bpy.types.NodeTree, node_type: str, label: str, location: tuple[float, float]) -> Any:
        """Add a node (removed again by :meth:`revert`)."""
        node = tree.nodes.new(node_type)
        node.label = label
        node.location = location
        self.created.append(node.name)
        return node

    def link(self, tree: bpy.types.NodeTree, from_socket: Any, to_socket: Any) -> None:
        """Link two sockets, remembering what fed ``to_socket`` before."""
        previous = None
        if to_socket.is_linked and to_socket.links:
            old = to_socket.links[0]
            previous = (old.from_node.name, old.from_socket.identifier, to_socket.node.name, to_socket.identifier)
        self.links.append(previous)
        tree.links.new(from_socket, to_socket)

    def revert(self) -> None:
        """Put the material back exactly as it was."""
        tree = self._tree()
        if tree is None:
            return
        for name in reversed(self.created):
            node = tree.nodes.get(name)
            if node is not None:
                tree.nodes.remove(node)
        for previous in reversed(self.links):
            if previous is None:
                continue
            from_name, from_id, to_name, to_id = previous
            source, sink = tree.nodes.get(from_name), tree.nodes.get(to_name)
            if source is None or sink is None:
                continue
            out = next((s for s in source.outputs if s.identifier == from_id), None)
            inp = next((s for s in sink.inputs if s.identifier == to_id), None)
            if out is not None and inp is not None:
                tree.links.new(out, inp)
        for node_name, image_name in reversed(self.images):
            node = tree.nodes.get(node_name)
            if isinstance(node, bpy.types.ShaderNodeTexImage):
                node.image = bpy.data.images.get(image_name) if image_name else None
        if self.previous_active is not None and self.previous_active in tree.nodes:
            tree.nodes.active = tree.nodes[self.previous_active]

    def describe(self) -> str:
        """Where the results went, for the report."""
        return f"material '{self.material_name}'"


def _editable(material_name: str) -> tuple[bpy.types.Material, bpy.types.NodeTree]:
    material = bpy.data.materials.get(material_name)
    if material is None or material.node_tree is None or not _uses_nodes(material):
        raise SetupError(f"Material '{material_name}' has no node tree; enable its nodes (Use Nodes) first")
    if material.library is not None:
        raise SetupError(f"Material '{material_name}' is linked from a library and cannot be changed")
    return material, material.node_tree


def wire_maps(material_name: str, images: dict[str, bpy.types.Image]) -> MaterialEdit:
    """Put each map's image into the node that feeds that map in the material.

    Kinds without a node get one: colour, roughness and metallic are linked
    to the Principled BSDF, a normal map through a new Normal Map node; a
    height or AO map without a node gets an unlinked node (and a warning).
    """
    material, tree = _editable(material_name)
    edit = MaterialEdit(material.name)
    edit.previous_active = tree.nodes.active.name if tree.nodes.active is not None else None
    existing = material_maps(material)
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
                f"The {kind} map '{image.name}' is in a new Image Texture node of material '{material.name}' "
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
    edit = MaterialEdit(material.name)
    for name in names:
        node = material.node_tree.nodes[name]
        assert isinstance(node, bpy.types.ShaderNodeTexImage)
        edit.set_image(node, image)
    return edit
