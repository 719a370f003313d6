"""The Docker range backend: every Docker call in cyder lives in this package."""

from .backend import DockerBackend
from .client import connect_docker
from .images import build_images, expected_images, list_images
from .labels import object_name

__all__ = ["DockerBackend", "build_images", "connect_docker", "expected_images", "list_images", "object_name"]
