"""``p88 serve``: the timing HTTP API with live updates and a display page."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from p88.cli._app import err, state


def serve(
    ctx: typer.Context,
    host: Optional[str] = typer.Option(  # noqa: UP045 - typer needs Optional here
        None, "--host", help="Address to bind (default: serve_host, 127.0.0.1).", show_default=False
    ),
    port: Optional[int] = typer.Option(  # noqa: UP045
        None, "--port", help="TCP port (default: serve_port, 8088).", show_default=False
    ),
    token_file: Optional[Path] = typer.Option(  # noqa: B008, UP045
        None,
        "--token-file",
        help="Access tokens, one '<token> <partner-code|id|*>' per line. Required to bind "
        "anything but 127.0.0.1.",
        show_default=False,
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the timing HTTP API, live updates (SSE) and the display pages.

    The seed's /api/timing endpoints, live reads as Server-Sent Events
    (/api/timing/stream), a leaderboard, /health, /docs (offline), and pages for screens:
    crossings at /, runner cards at /display, chip check at /chipcheck, runners coming up
    at /announcer (press S on a page for its settings). Colours and a logo for the pages:
    the display_colors and display_logo settings (p88 config).
    Reads PostgreSQL only, so it can run beside the listener or on another machine.

    Binds 127.0.0.1 unless --host says otherwise; any other address needs --token-file.
    With a token file every path but /health (the page, /docs and /openapi.json too) needs
    a token; open the display page as /?token=T and the token moves into an HttpOnly
    cookie, out of the address bar. Tokens are redacted from the access log.

    Example: p88 serve --port 8088
    """
    from p88.serve import ServeOptions, base_url, check_binding, check_free, check_port, run
    from p88.serve.auth import permission_warning
    from p88.serve.pages import DisplayOptions
    from p88.store import connect, describe, require_current

    settings = state(ctx).settings()
    bind = host or settings.get("serve_host") or "127.0.0.1"
    chosen_port = port if port is not None else settings.get_int("serve_port")
    check_port(chosen_port)  # refuse before touching the database
    check_binding(bind, token_file)
    check_free(bind, chosen_port)
    DisplayOptions.parse(settings.get("display_colors"), settings.get("display_logo"))
    if token_file is not None and (warning := permission_warning(token_file)):
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)
    url = state(ctx).database_url()
    with connect(url, autocommit=True) as conn:
        require_current(conn)  # once, here: no query keeps a fallback for an old schema
    err.print(
        f"p88 serve: {base_url(bind, chosen_port)} on {describe(url)}", markup=False, soft_wrap=True
    )
    run(
        ServeOptions(
            database_url=url,
            host=bind,
            port=chosen_port,
            token_file=token_file,
            log_level=log_level,
            display_colors=settings.get("display_colors"),
            display_logo=settings.get("display_logo"),
        )
    )
