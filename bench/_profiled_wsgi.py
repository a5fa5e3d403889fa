"""loupe.wsgi.application under cProfile, for bench/profile_server.py (one sync worker).

Stats are written to $LOUPE_BENCH_PROFILE_OUT when the worker exits.
"""

import atexit
import cProfile
import os
from collections.abc import Callable, Iterable
from typing import Any

from loupe.wsgi import application as _application

_profiler = cProfile.Profile()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    _profiler.enable()
    try:
        return list(_application(environ, start_response))
    finally:
        _profiler.disable()


def _dump() -> None:
    _profiler.dump_stats(os.environ["LOUPE_BENCH_PROFILE_OUT"])


atexit.register(_dump)
