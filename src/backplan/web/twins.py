"""One handler, two routes: a page for browsers and its ``/api/`` twin for scripts.

STYLE.md: one view, two formats. A handler builds the data; ``twin`` registers
it at the page's path, where ``page()`` renders it as HTML (or JSON when
``Accept`` asks), and at its ``/api/`` path, where it is answered as JSON and
listed in the OpenAPI schema. The page route stays out of the schema::

    @twin(router, "GET", "/teams/{team}", template="team.html",
          api=Api("/api/teams/{team}", responses={404: {"description": "No such team"}}))
    def team(request: Request, team: str, principal: ...) -> dict[str, Any]:
        ...  # its docstring is the API's description in the schema

An action whose page is a form answers the browser with a redirect (303) and
the script with the API's status (201, 204 ...): give ``redirect``. With
``form``, the handler's ``body`` parameter comes from the page's form fields
(``form(fields)`` builds it) and from the API's JSON body (as annotated).

The API route is named ``api_<handler name>`` unless ``Api.name`` says
otherwise: FastAPI makes the schema's summary and operationId from it.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from backplan.web.render import page, wants_json

H = TypeVar("H", bound=Callable[..., Any])

Responses = dict[int | str, dict[str, Any]]
_FROM_HANDLER: Any = object()
"""``Api.response_model``'s default: the handler's return annotation."""


@dataclass(frozen=True)
class Api:
    """Where the ``/api/`` twin lives, and the little it answers differently from its page."""

    path: str
    method: str | None = None
    """Default: the page's method (``DELETE`` for a page's ``POST .../delete``, say)."""
    status: int = 200
    """201 for what is created; 204 answers no body (the handler's data is not sent)."""
    responses: Responses | None = None
    """The documented error responses, for the schema."""
    pick: Callable[[Any], Any] | None = None
    """The part of the page's data the API answers with (``/api/users``: the list only)."""
    response_model: Any = _FROM_HANDLER
    """For the schema; needed when ``pick`` changes the data's type."""
    name: str | None = None


def twin(
    router: APIRouter,
    method: str,
    path: str,
    *,
    api: Api,
    template: str | None = None,
    extra: Mapping[str, Any] | None = None,
    redirect: str | Callable[[Any], str] | None = None,
    form: Callable[[dict[str, str]], Any] | None = None,
) -> Callable[[H], H]:
    """Register the decorated handler at ``path`` (a page) and at ``api.path`` (its JSON twin).

    The page renders the handler's data into ``template`` (with ``extra`` for the HTML
    only); with ``redirect`` it answers 303 to that URL (or to ``redirect(data)``) instead,
    and JSON with the API's status when the request asks for JSON and ``template`` is set.
    """

    def register(handler: H) -> H:
        hints = typing.get_type_hints(handler, include_extras=True)
        params = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in inspect.signature(handler).parameters.values()
        ]
        wants_request = any(p.name == "request" for p in params)
        if not wants_request:
            params.append(
                inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request)
            )

        def call(kwargs: dict[str, Any]) -> tuple[Request, dict[str, Any]]:
            request = kwargs["request"] if wants_request else kwargs.pop("request")
            return request, kwargs

        def render(request: Request, data: Any) -> Response:
            if redirect is None:
                assert template is not None, f"{path}: a page needs a template or a redirect"
                return page(request, template, data, extra=dict(extra or {}))
            if template is not None and wants_json(request):
                return page(request, template, data, status=api.status)
            target = redirect(data) if callable(redirect) else redirect
            return RedirectResponse(target, status_code=303)

        def answer(data: Any) -> Any:
            if api.status == 204:
                return Response(status_code=204)
            return api.pick(data) if api.pick else data

        page_params = params
        if form is not None:
            page_params = [
                p.replace(annotation=Annotated[Any, Depends(_form_reader(form))])
                if p.name == "body"
                else p
                for p in params
            ]
        page_endpoint = _endpoint(handler, render, call)
        api_endpoint = _endpoint(handler, lambda _, data: answer(data), call)
        page_endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            page_params, return_annotation=Response
        )
        api_endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]

        response_model = api.response_model
        if response_model is _FROM_HANDLER:
            response_model = None if api.status == 204 else hints.get("return")
        router.add_api_route(
            path,
            page_endpoint,
            methods=[method],
            name=handler.__name__,
            include_in_schema=False,
        )
        router.add_api_route(
            api.path,
            api_endpoint,
            methods=[api.method or method],
            name=api.name or f"api_{handler.__name__}",
            status_code=None if api.status == 200 else api.status,
            response_model=response_model,
            responses=api.responses,
        )
        return handler

    return register


def _endpoint(
    handler: Callable[..., Any],
    finish: Callable[[Request, Any], Any],
    call: Callable[[dict[str, Any]], tuple[Request, dict[str, Any]]],
) -> Callable[..., Any]:
    """The handler, then ``finish`` on its data; async only when the handler is (FastAPI runs
    a plain function in its thread pool)."""
    if inspect.iscoroutinefunction(handler):

        async def async_endpoint(**kwargs: Any) -> Any:
            request, kwargs = call(kwargs)
            return finish(request, await handler(**kwargs))

        endpoint: Callable[..., Any] = async_endpoint
    else:

        def sync_endpoint(**kwargs: Any) -> Any:
            request, kwargs = call(kwargs)
            return finish(request, handler(**kwargs))

        endpoint = sync_endpoint
    endpoint.__name__ = handler.__name__
    endpoint.__qualname__ = handler.__qualname__
    endpoint.__doc__ = handler.__doc__
    endpoint.__module__ = handler.__module__
    return endpoint


def _form_reader(build: Callable[[dict[str, str]], Any]) -> Callable[[Request], Any]:
    """A dependency giving the page's form fields (text ones) as ``build`` makes them input."""

    async def from_form(request: Request) -> Any:
        form = await request.form()
        return build({k: v for k, v in form.items() if isinstance(v, str)})

    return from_form
