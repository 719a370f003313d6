"""cyder: a cyber-defense exercise simulator in the style of Japan's CYDER exercises."""

__version__ = "0.1.0"
