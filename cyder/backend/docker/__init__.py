"""The Docker range backend: every Docker call in cyder lives in this package."""

from .backend import DockerBackend, connect_docker, object_name
from .images import build_images, expected_images, list_images

__all__ = ["DockerBackend", "build_images", "connect_docker", "expected_images", "list_images", "object_name"]
