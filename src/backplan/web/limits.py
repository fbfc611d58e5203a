"""Request bodies are bounded: over ``max_upload_mb`` the answer is 413, with the reason.

A declared ``Content-Length`` over the limit is refused before a byte is
read; a body sent without one (chunked) is counted as it arrives and cut at
the limit. Either way the refusal surfaces where the route reads its body,
as an ``HTTPException`` the error handler turns into a page or JSON, so the
upload is never stored.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backplan.config import Settings


def too_large(limit_mb: int) -> HTTPException:
    return HTTPException(
        413,
        f"The request is larger than {limit_mb} MB, the most this server accepts "
        "(the setting BACKPLAN_MAX_UPLOAD_MB); split the file, or save it as .csv or .parquet.",
    )


class BodyLimit:
    """ASGI middleware refusing request bodies over ``settings.max_upload_mb``."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limit_mb = settings.max_upload_mb
        self.limit = settings.max_upload_mb << 20

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        over = declared is not None and declared.isdigit() and int(declared) > self.limit
        received = 0

        async def bounded() -> Message:
            nonlocal received
            if over:
                raise too_large(self.limit_mb)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise too_large(self.limit_mb)
            return message

        await self.app(scope, bounded, send)
