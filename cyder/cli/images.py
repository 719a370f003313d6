"""Commands on the range images: `cyder images build` and `cyder images list`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from . import render
from .options import Registrars, Subparsers

if TYPE_CHECKING:
    from ..application import Application


def register_images(sub: Subparsers) -> None:
    """Add `cyder images build` and `cyder images list`."""
    images = sub.add_parser("images", help="build or list the range images").add_subparsers(metavar="ACTION")
    p = images.add_parser("build", help="build the images offline from Debian's packages (cached by content)")
    p.add_argument("--force", action="store_true", help="rebuild even when the images are up to date")
    p.add_argument("--base-from-dockerfile", action="store_true",
                   help="build the base from ranges/images/Dockerfile.base (needs a container registry)")
    p.set_defaults(func=cmd_images_build)
    p = images.add_parser("list", help="list cyder's images")
    p.set_defaults(func=cmd_images_list)


COMMANDS: Registrars = {"images": register_images}


def cmd_images_build(args: argparse.Namespace, app: Application) -> int:
    """Build the range images."""
    from ..backend.docker import build_images, connect_docker

    images = build_images(connect_docker(), progress=render.ProgressPrinter(), force=args.force,
                          base_from_dockerfile=args.base_from_dockerfile)
    render.say(f"images ready: {images.base} {images.node}")
    return 0


def cmd_images_list(args: argparse.Namespace, app: Application) -> int:
    """List cyder's images."""
    from ..backend.docker import connect_docker, list_images

    render.print_images(list_images(connect_docker()))
    return 0
