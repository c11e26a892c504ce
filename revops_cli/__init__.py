"""revops: answers for Revenue Operations analysts from their own warehouse."""

__version__ = "0.1.0"
