"""Developer tools that keep the code's shape: the import-layer check (`python -m cyder.devtools.layers`)
and the lint/type-check ratchet report (`python -m cyder.devtools.ratchet`). Nothing at run time uses them.
"""
