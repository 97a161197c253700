"""Every refusal of the API as one JSON shape, `{"error": {"code", "message", ...}}`, with a 4xx status.

A mix the parser refuses carries MixError.to_dict() in the page's language, so the page shows it
next to the field; malformed JSON, unknown fields, wrong types and oversized bodies get a message
naming what to fix. Nothing a client sends can produce a 5xx; an unexpected error is still a JSON 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..errors import InputError
from ..mix import MixError

__all__ = ["ApiError", "install_error_handlers", "mix_refusal"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal with its HTTP status, a stable code, a message and optional extra fields."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def mix_refusal(error: MixError, language: str | None, field: str = "mix") -> ApiError:
    """A MixError as a 422 the page shows next to `field`, in `language` (None: the text's own)."""
    details = error.to_dict(language)
    return ApiError(422, "mix", str(details["message"]), field=field, mix=details)


def input_refusal(error: InputError) -> ApiError:
    return ApiError(422, "invalid_input", str(error))


def describe_validation(errors: list[dict[str, Any]]) -> tuple[int, str, str]:
    """(status, code, message) for pydantic's errors: 400 for a body that is not JSON, else 422."""
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return 400, "malformed_json", f"the body is not valid JSON: {first.get('ctx', {}).get('error', first['msg'])}"
    messages = []
    for item in errors[:5]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "query"))
        if item.get("type") == "extra_forbidden":
            messages.append(f"unknown field '{where}'")
        elif item.get("type") == "missing":
            messages.append(f"'{where}' is missing")
        else:
            messages.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
    return 422, "invalid_request", "; ".join(messages)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        status, code, message = describe_validation(list(error.errors()))
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        code = getattr(error, "code", "") or f"http_{error.status_code}"
        return JSONResponse(
            {"error": {"code": code, "message": str(error.detail)}},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(MixError)
    async def mix_error(request: Request, error: MixError) -> JSONResponse:
        return JSONResponse(mix_refusal(error, error.language).body(), status_code=422)

    @app.exception_handler(InputError)
    async def input_error(request: Request, error: InputError) -> JSONResponse:
        return JSONResponse(input_refusal(error).body(), status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        # Still JSON the page can read; the traceback goes to the log (Starlette logs it after this).
        log.error("unexpected %s on %s %s", type(error).__name__, request.method, request.url.path)
        body = {"error": {"code": "internal", "message": "an internal error; it was logged. Please try again."}}
        return JSONResponse(body, status_code=500)
