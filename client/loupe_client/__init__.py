"""Loupe's client: pull immutable dataset versions onto disk, verified by content hash.

Nothing here imports Django or the server's code: the REST API (v1) is the whole contract.
"""

__version__ = "0.1.0"

from loupe_client.api import Api
from loupe_client.errors import LoupeError
from loupe_client.pull import PullResult, pull

__all__ = ["Api", "LoupeError", "PullResult", "__version__", "pull"]
