"""The bundled policy packs, their ``*.cases.yaml`` and the shared fact vocabulary, as package data.

A regular package (not a namespace one) so that :func:`importlib.resources.files` gives one real
folder in a wheel, a zip-free site-packages and a source checkout alike.
"""
