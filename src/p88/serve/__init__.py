"""``p88 serve``: the timing HTTP API (FastAPI on uvicorn) with live updates and a display page.

``create_app`` builds the ASGI app for a database URL; ``run`` serves it with uvicorn and
enforces the binding rule (loopback unless there is a token file).
"""

from p88.serve.app import create_app
from p88.serve.auth import Grant, load_tokens
from p88.serve.run import ServeOptions, base_url, check_binding, check_free, check_port, run

__all__ = [
    "Grant",
    "ServeOptions",
    "base_url",
    "check_binding",
    "check_free",
    "check_port",
    "create_app",
    "load_tokens",
    "run",
]
