"""A CRM's REST API over HTTPS, politely: retries with backoff, 429s honoured, errors in words.

* **429 Too Many Requests**: waits as long as ``Retry-After`` says (capped), then asks again;
* **5xx, timeouts, dropped connections**: retried with exponential backoff (0.5 s, 1 s, 2 s
  ... capped at ``max_wait``), ``attempts`` times in all;
* **401/403**: the token is wrong or lacks a scope: ``BadToken`` at once (exit 2), never retried;
* any other 4xx: ``SyncFailed`` with the vendor's own message.

Every request carries the token as the vendor wants it (``auth``), never in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from backplan.services.sync.errors import BadToken, SyncFailed

Sleep = Callable[[float], None]
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass
class RetryPolicy:
    """How often and how long to wait before asking again."""

    attempts: int = 6
    """Tries of one request in all (the first one included)."""
    base: float = 0.5
    """The first backoff after a 5xx or a timeout, in seconds; it doubles each time."""
    max_wait: float = 60.0
    """The longest single wait (a ``Retry-After`` longer than this waits this long)."""
    sleep: Sleep = field(default=time.sleep, repr=False)

    def backoff(self, attempt: int) -> float:
        return float(min(self.base * 2 ** (attempt - 1), self.max_wait))

    def retry_after(self, response: httpx.Response, attempt: int) -> float:
        """Seconds a 429 asks us to wait (``Retry-After`` in seconds; else the backoff)."""
        header = response.headers.get("Retry-After", "").strip()
        try:
            return float(min(max(float(header), 0.0), self.max_wait))
        except ValueError:
            return self.backoff(attempt)


class Api:
    """One CRM's API at ``base_url``; ``auth`` adds the token to each request (headers, params).

    >>> api = Api("https://api.hubapi.com", "HubSpot", auth=bearer("pat-..."))
    >>> api.get("/crm/v3/owners", {"limit": 100})
    """

    def __init__(
        self,
        base_url: str,
        vendor: str,
        *,
        auth: Callable[[dict[str, str], dict[str, Any]], None],
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.vendor = vendor
        self.auth = auth
        self.policy = policy or RetryPolicy()
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=TIMEOUT,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "backplan-sync"},
            follow_redirects=False,
        )
        self.requests = 0
        """Requests sent, retries included (reported, and checked by the tests)."""

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, json=body)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        """The JSON answer to one request, after as many polite retries as needed."""
        headers: dict[str, str] = {}
        query = dict(params or {})
        self.auth(headers, query)
        policy = self.policy
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            self.requests += 1
            try:
                response = self.client.request(
                    method, path, params=query, json=json, headers=headers
                )
            except (httpx.TimeoutException, httpx.TransportError) as e:
                if last:
                    raise SyncFailed(
                        f"{self.vendor} did not answer {path} after {attempt} tries "
                        f"({type(e).__name__}); try again later"
                    ) from None
                policy.sleep(policy.backoff(attempt))
                continue
            status = response.status_code
            if status in (401, 403):
                raise BadToken(self._bad_token(response))
            if status == 429 and not last:
                policy.sleep(policy.retry_after(response, attempt))
                continue
            if status >= 500 and not last:
                policy.sleep(policy.backoff(attempt))
                continue
            if status >= 400:
                raise SyncFailed(
                    f"{self.vendor} answered {status} to {method} {path}: {_message(response)}"
                )
            try:
                return response.json()
            except ValueError:
                raise SyncFailed(
                    f"{self.vendor} answered {path} with something other than JSON; is "
                    f"{self.client.base_url} its API address?"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _bad_token(self, response: httpx.Response) -> str:
        what = "refused the token" if response.status_code == 401 else "refused access"
        return (
            f"{self.vendor} {what} ({response.status_code}: {_message(response)}); check the "
            "token and its scopes, then run the sync again. Nothing was stored."
        )


def bearer(token: str) -> Callable[[dict[str, str], dict[str, Any]], None]:
    """The token in an ``Authorization: Bearer`` header (HubSpot private apps)."""

    def add(headers: dict[str, str], params: dict[str, Any]) -> None:
        headers["Authorization"] = f"Bearer {token}"

    return add


def api_token_header(token: str) -> Callable[[dict[str, str], dict[str, Any]], None]:
    """The token in an ``x-api-token`` header (Pipedrive; kept out of URLs and logs)."""

    def add(headers: dict[str, str], params: dict[str, Any]) -> None:
        headers["x-api-token"] = token

    return add


def _message(response: httpx.Response) -> str:
    """The vendor's own words for an error: HubSpot's ``message``, Pipedrive's ``error``."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no message"
    if isinstance(body, dict):
        for key in ("message", "error", "error_info"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:300]
    return response.reason_phrase or "no message"
