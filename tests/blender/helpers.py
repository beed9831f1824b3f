"""Helpers of the Blender tests: scenes, pixels, node-tree snapshots (imported by conftest and tests)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np


def pixels_of(image: Any) -> np.ndarray:
    """An image's pixels as Blender's flat float32 array (bottom row first)."""
    flat = np.empty(len(image.pixels), dtype=np.float32)
    image.pixels.foreach_get(flat)
    return flat


def tree_state(material: Any) -> tuple[list[tuple[str, str, str | None]], list[tuple[str, str, str, str]], str | None]:
    """(nodes with type and image, links, active node) of a material, to compare before/after."""
    tree = material.node_tree
    nodes = sorted((n.name, n.bl_idname, getattr(getattr(n, "image", None), "name", None)) for n in tree.nodes)
    links = sorted(
        (lk.from_node.name, lk.from_socket.identifier, lk.to_node.name, lk.to_socket.identifier) for lk in tree.links
    )
    active = tree.nodes.active.name if tree.nodes.active is not None else None
    return nodes, links, active


class Scene:
    """Builds test scenes in a fresh, empty file."""

    def __init__(self, bpy: ModuleType, exemplar_dir: Path) -> None:
        self.bpy = bpy
        self.dir = exemplar_dir

    @property
    def settings(self) -> Any:
        return self.bpy.context.scene.gass

    def plane(self, *, material: bool = True) -> tuple[Any, Any]:
        """A plane (active object) with a new Principled material, or none."""
        bpy = self.bpy
        mesh = bpy.data.meshes.new("Plane")
        mesh.from_pydata([(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)], [], [(0, 1, 2, 3)])
        uv = mesh.uv_layers.new(name="UVMap")
        for loop, (u, v) in zip(uv.data, [(0, 0), (1, 0), (1, 1), (0, 1)]):
            loop.uv = (u, v)
        obj = bpy.data.objects.new("Plane", mesh)
        bpy.context.scene.collection.objects.link(obj)
        bpy.context.view_layer.objects.active = obj
        obj.select_set(True)
        mat = None
        if material:
            mat = bpy.data.materials.new("Material")
            if bpy.app.version < (5, 0, 0):
                mat.use_nodes = True
            mesh.materials.append(mat)
        return obj, mat

    def load(self, name: str) -> Any:
        """A file image from the exemplar folder."""
        return self.bpy.data.images.load(str(self.dir / name), check_existing=False)

    def add_exemplar(self, image: Any, weight: float = 1.0) -> Any:
        item = self.settings.exemplars.add()
        item.image = image
        item.weight = weight
        return item

    def configure(self, width: int = 32, height: int = 32, seed: int = 7, quality: str = "draft") -> None:
        s = self.settings
        s.width, s.height, s.seed, s.quality = width, height, seed, quality

    def ready(self, exemplar: str = "bark64.png", **kwargs: Any) -> tuple[Any, Any, Any]:
        """Plane + material + one exemplar + small draft settings: (object, material, exemplar image)."""
        obj, mat = self.plane()
        image = self.load(exemplar)
        self.add_exemplar(image)
        self.configure(**kwargs)
        return obj, mat, image
