"""mannlib: memory-augmented recurrent networks for the paper-companion book.

Tasks (``mannlib.tasks``) and models (``mannlib.models``) never import each other; the
trainer (``mannlib.engine.train``) and the run cache (``mannlib.engine.cache``) bring them together.
"""
__version__ = "0.1.0"
