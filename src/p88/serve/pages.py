"""The pages a screen opens, their static files, the display logo and the offline /docs.

Each page is a static HTML file whose code and style are separate files under
``/static/`` (never inline), so every page runs under a CSP of ``'self'`` only
(``guard.PAGE_CSP``). ``/docs`` is Swagger UI served from the ``fastapi-offline``
package's copy, not a CDN: the finish line has no internet.

- ``/`` the crossings page (``?view=reads`` shows raw reads), ``/display`` runner cards,
  ``/chipcheck`` packet pickup's chip check, ``/announcer`` runners coming up.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

from p88.errors import ConfigError

STATIC = Path(__file__).with_name("static")
PAGES = {"/": "index.html", "/display": "display.html", "/chipcheck": "chipcheck.html",
         "/announcer": "announcer.html"}  # fmt: skip
DOCS_PATH = "/docs"
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DEFAULT_COLORS = {"bg": "#0b0f14", "fg": "#f2f5f8", "accent": "#ffd23f"}
LOGO_TYPES = {".png", ".jpg", ".jpeg", ".svg", ".webp", ".gif"}


def _swagger_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).with_name("static")


@dataclass(frozen=True)
class DisplayOptions:
    """The server's display settings: default colours and a logo file (``p88 config``:
    ``display_colors``, ``display_logo``); a page's query parameters override colours."""

    colors: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLORS))
    logo: Path | None = None

    @classmethod
    def parse(cls, colors: str | None, logo: str | None) -> DisplayOptions:
        """From the settings' text: colours as ``bg=#000 fg=#fff accent=#fc0``; a
        ``ConfigError`` names a bad one, or a logo that is not a readable image file."""
        chosen = dict(DEFAULT_COLORS)
        for part in (colors or "").replace(",", " ").split():
            name, _, value = part.partition("=")
            if name not in DEFAULT_COLORS or not _COLOR.match(value):
                raise ConfigError(
                    f"display_colors: bad entry {part!r}",
                    hint="use bg=#RRGGBB fg=#RRGGBB accent=#RRGGBB",
                )
            chosen[name] = value
        path = Path(logo).expanduser() if logo else None
        if path is not None and (not path.is_file() or path.suffix.lower() not in LOGO_TYPES):
            raise ConfigError(
                f"display_logo: {path} is not an image file",
                hint="a .png, .jpg, .svg, .webp or .gif the server can read",
            )
        return cls(chosen, path)


router = APIRouter(include_in_schema=False)


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((STATIC / name).read_text(encoding="utf-8"))


def install(app: FastAPI) -> None:
    """Add the pages, ``/static/…``, ``/display/logo`` and ``/docs`` to ``app``."""
    for path, name in PAGES.items():
        app.add_api_route(
            path,
            lambda name=name: _page(name),
            methods=["GET", "HEAD"],
            response_class=HTMLResponse,
            include_in_schema=False,
        )
    app.include_router(router)
    logo_route(app)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """A page's script or style sheet (only files of the package's static folder)."""
    if "/" in name or name.startswith("."):
        raise HTTPException(404, "no such file")
    path = STATIC / name
    if not path.is_file():
        raise HTTPException(404, "no such file")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-cache"})


@router.get("/docs/static/{name}")
async def swagger_static(name: str) -> Response:
    """Swagger UI's own files, from the ``fastapi-offline`` package."""
    allowed = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}
    if name not in allowed:
        raise HTTPException(404, "no such file")
    path = _swagger_dir() / name
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "max-age=86400"})


@router.get(DOCS_PATH)
async def docs() -> HTMLResponse:
    """Swagger UI for /openapi.json, every file served by this server."""
    return _page("docs.html")


def logo_route(app: FastAPI) -> None:
    """``/display/logo``: the configured logo file, or 404 when none is set."""

    async def logo() -> Response:
        options: DisplayOptions = app.state.display_options
        if options.logo is None or not options.logo.is_file():
            raise HTTPException(404, "no logo configured (display_logo)")
        kind = mimetypes.guess_type(options.logo.name)[0] or "application/octet-stream"
        return FileResponse(options.logo, media_type=kind)

    app.add_api_route("/display/logo", logo, methods=["GET"], include_in_schema=False)
