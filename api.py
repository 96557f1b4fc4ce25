"""The Litestar application of the quoting engine: ``create_app()`` (see
:mod:`quoting.web.app`, where it lives so that an installed package can serve it).

Nothing is built at import. Run it with ``quoting serve``, or any ASGI server as a factory:
``uvicorn --factory api:create_app``.
"""

from quoting.web.app import create_app

__all__ = ["create_app"]
