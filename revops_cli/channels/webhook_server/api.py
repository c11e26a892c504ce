"""`revops serve-webhook`: the async webhook API (FastAPI). Only serve-webhook imports this module.

    POST /webhook                 -> 202 {success, tracking_id, message, queued_at, status: "queued"}
    GET  /requests/{tracking_id}  -> status (queued | processing | answered | delivered | failed), the answer
    GET  /requests                -> the caller's own requests, newest first
    GET  /healthz, /readyz, /openapi.json

Intake is kept to validation and ONE queue insert: no warehouse work in the request path. The body must
be `application/json` (415 otherwise), is read with a size limit (64 KiB -> 413), parsed by hand (400 for
malformed JSON), validated by a pydantic model (422), and queued. Every error is
`{"error": {"code", "message", "details"?}}` (http_errors.py), on every path, trailing slashes included
(no redirects: `/webhook/` is a 404), and every status a route can return is documented in the OpenAPI
responses.

Authentication (auth.py): API keys (`revops webhook keys add NAME`, or `webhooks.api_keys`) as
`Authorization: Bearer <key>` or `X-API-Key: <key>`; Standard Webhooks signatures (`webhooks.inbound_secret`)
over the raw body (empty for GET), each `webhook-id` accepted once (409 `replayed` after). Each request
records its caller, and `GET /requests[/{id}]` shows a caller only its own (404 for anyone else's).
Secrets are never logged or echoed.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal, Optional

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from revops_cli import __version__
from revops_cli.channels.webhook_server.auth import Authenticator
from revops_cli.channels.webhook_server.http_errors import ApiError, error_body
from revops_cli.channels.webhook_server.queue import Queue, SQLiteQueue, open_queue, utc_now
from revops_cli.models import AGENTS
from revops_cli.redaction import redact_value
from revops_cli.formatting import json_default

log = logging.getLogger("revops.webhook_api")

MAX_BODY_BYTES = 64 * 1024
MAX_QUERY_CHARS = 4000

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class WebhookIn(BaseModel):
    """A question for RevOps, answered asynchronously."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"example": {
        "query": "What deals are closing this quarter?", "source_system": "crm_dashboard",
        "source_process": "quarterly_review", "timestamp": "2025-08-16T10:00:00Z"}})

    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_CHARS)] = \
        Field(None, description="The question, in plain language (at most 4,000 characters); required unless "
                                "confirm_action_id is given.")
    source_system: Short = Field(description="The calling system, e.g. crm_dashboard.")
    source_process: Short = Field(description="The calling process, e.g. quarterly_review.")
    timestamp: datetime = Field(description="When the caller made the request (ISO 8601).")
    agent: Optional[Literal[AGENTS]] = Field(None, description="Force an agent instead of automatic routing.")
    session_id: Optional[Short] = Field(None, description="Continue a conversation; a new one is made if absent.")
    callback: Optional[Short] = Field(None, description="Name of a configured outbound endpoint "
                                                        "(webhooks.endpoints); default: webhooks.url.")
    confirm_action_id: Optional[Short] = Field(None, description="Run the actions of an earlier dry run "
                                               "(data.pending_action_id, act_…) exactly as stored; only the caller "
                                               "that asked for it (same source_system) may.")
    # A lone surrogate ("\ud800") is refused by pydantic-core's JSON parser itself: 400 invalid_json.

    @model_validator(mode="after")
    def _query_or_confirmation(self) -> "WebhookIn":
        if self.query is None and self.confirm_action_id is None:
            raise ValueError("query is required (or confirm_action_id, to confirm a dry run)")
        return self


class Accepted(BaseModel):
    success: Literal[True] = True
    tracking_id: str
    message: str
    queued_at: str
    status: Literal["queued"] = "queued"
    status_url: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Optional[list[dict[str, Any]]] = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class AnswerOut(BaseModel):
    response: Optional[str] = None
    response_plain: Optional[str] = None
    agent: Optional[str] = None
    ok: Optional[bool] = None
    error: Optional[str] = None
    session_id: Optional[str] = None
    timestamp: Optional[str] = None
    duration_ms: Optional[float] = None
    pending_action_id: Optional[str] = Field(None, description="A dry run: send it back as confirm_action_id.")
    pending_action_expires_at: Optional[str] = None


class DeliveryOut(BaseModel):
    id: str
    endpoint: str
    url: str
    status: Literal["delivered", "retrying", "failed"] = Field(description="retrying: a later round is due")
    attempts: int
    last_status: Optional[int] = None
    error: Optional[str] = None
    updated_at: str


class RequestStatus(BaseModel):
    tracking_id: str
    status: Literal["queued", "processing", "answered", "delivered", "failed"]
    source_system: Optional[str] = None
    source_process: Optional[str] = None
    query: Optional[str] = None
    session_id: Optional[str] = None
    queued_at: str
    updated_at: Optional[str] = None
    receive_count: int = 0
    error: Optional[str] = None
    answer: Optional[AnswerOut] = None
    delivery: Optional[DeliveryOut] = None


class Health(BaseModel):
    status: str
    version: Optional[str] = None
    queue: Optional[str] = None
    queue_depth: Optional[int] = None
    workers: Optional[int] = None
    error: Optional[str] = None


class RequestSummary(BaseModel):
    tracking_id: str
    status: Literal["queued", "processing", "answered", "delivered", "failed"]
    source_system: Optional[str] = None
    source_process: Optional[str] = None
    queued_at: str
    updated_at: Optional[str] = None


class RequestList(BaseModel):
    requests: list[RequestSummary]


def _json(status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(obj, separators=(",", ":"), default=json_default), status_code=status,
                    media_type="application/json", headers=headers)


def _error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
           headers: dict[str, str] | None = None) -> Response:
    return Response(error_body(code, message, details), status_code=status, media_type="application/json",
                    headers=headers)


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


AUTH_401 = _err("Missing or invalid credentials (API key or Standard Webhooks signature), when configured.")
REPLAY_409 = _err("This webhook-id was already received (signed requests): nothing new was done.")
JSON_TYPES = ("application/json",)


def check_json_content_type(content_type: str | None) -> None:
    """`application/json`, optionally with `charset=utf-8`; anything else (text/plain, forms, none) is 415."""
    media, *params = (content_type or "").split(";")
    ok = media.strip().lower() in JSON_TYPES
    for param in filter(str.strip, params):
        name, _, value = param.partition("=")
        if name.strip().lower() != "charset" or value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            ok = False
    if not ok:
        raise ApiError(415, "unsupported_media_type", "the body must be JSON sent as Content-Type: application/json")


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic errors without the input values (they may be large or sensitive)."""
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in errors[:20]]


class FastIntake:
    """POST /webhook straight to its handler, past FastAPI's router and dependency solving (about 40% of
    the cost of a request). The handler is the very function the FastAPI route serves and documents;
    every other request takes the normal path."""

    def __init__(self, app: Any, handler: Any):
        self.app = app
        self.handler = handler

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/webhook":
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request as StarletteRequest

        try:
            response = await self.handler(StarletteRequest(scope, receive))
        except ApiError as exc:
            response = _error(exc.status, exc.code, exc.message, exc.details, exc.headers)
        except Exception as exc:
            log.exception("unexpected error on POST /webhook")
            response = _error(500, "internal_error", f"unexpected {type(exc).__name__}")
        await response(scope, receive, send)


def new_tracking_id() -> str:
    return str(uuid.uuid4())


def new_session_id() -> str:
    return f"webhook_{time.strftime('%Y%m%d', time.gmtime())}_{uuid.uuid4().hex[:8]}"


def create_app(settings: Any, *, start_workers: bool = True, workers: int = 2, queue: Queue | None = None,
               allow_anonymous: bool = True) -> FastAPI:
    """The webhook API. `start_workers`: run an in-process worker pool of `workers` threads (lifespan).
    `allow_anonymous`: with no authentication configured, serve callers as `anonymous` (serve-webhook
    passes False when it listens beyond loopback; see auth.bind_decision)."""
    from revops_cli.connectors.webhooks import endpoint_names, normalised_name

    queue = queue or open_queue(settings)
    store = queue.store
    max_body = settings.webhooks.max_body_bytes
    auth = Authenticator(settings, store, allow_anonymous=allow_anonymous)
    callbacks = endpoint_names(settings)
    callback_norm = {normalised_name(n) for n in callbacks}
    sync_submit = isinstance(queue, SQLiteQueue)
    state: dict[str, Any] = {"pool": None, "status_listener": None}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if start_workers and workers > 0:
            from revops_cli.channels.webhook_server.worker import WorkerPool

            state["pool"] = WorkerPool(settings, concurrency=workers, queue=queue).start()
        if getattr(queue, "status_queue_url", None):     # SQS with workers elsewhere: hear where requests are
            from revops_cli.channels.webhook_server.queue import StatusListener

            state["status_listener"] = StatusListener(queue).start()
        try:
            yield
        finally:
            pool = state.get("pool")
            if pool is not None:
                pool.stop(timeout=settings.webhooks.shutdown_grace_s)
                state["pool"] = None
            listener = state.get("status_listener")
            if listener is not None:
                listener.stop()
                state["status_listener"] = None

    app = FastAPI(title="revops webhook API", version=__version__, lifespan=lifespan,
                  description="Ask RevOps questions programmatically: 202 at once with a tracking id, the answer "
                              "delivered to a configured endpoint (signed per Standard Webhooks) and readable "
                              "at GET /requests/{tracking_id}.",
                  docs_url=None, redoc_url=None, redirect_slashes=False)
    app.state.queue = queue
    app.state.auth = auth
    app.state.workers = state

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _error(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return _error(422, "invalid_request", "the request is not valid", _validation_details(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = str(exc.detail)
        path = request.url.path
        if exc.status_code == 404 and len(path) > 1 and path.endswith("/"):
            message = f"{message}: no trailing slash (use {path.rstrip('/')[:200]})"
        return _error(exc.status_code, codes.get(exc.status_code, "http_error"), message,
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "internal_error", f"unexpected {type(exc).__name__}")

    def authenticate_read(request: Request) -> str:
        """The caller of a GET: key and/or signature (over an empty body), each signature used once."""
        key_caller = auth.check_key(request.headers)
        signed = auth.check_signature(request.headers, b"")
        caller = auth.caller(key_caller, signed)
        if signed is not None:
            auth.replays.claim(signed, caller)
        return caller

    async def read_body(request: Request) -> bytes:
        """The body, bounded by max_body. A client that hangs up before sending it all gets a 400 that no one
        will read: nothing is queued and nothing is logged as unexpected (the request simply did not arrive)."""
        from starlette.requests import ClientDisconnect

        try:
            return await read_bounded_body(request)
        except ClientDisconnect:
            log.info("POST %s: the client closed the connection before the body arrived", request.url.path)
            raise ApiError(400, "client_disconnected", "the connection closed before the whole body arrived") from None

    async def read_bounded_body(request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                raise ApiError(400, "invalid_request", "Content-Length is not a number") from None
            if n > max_body:
                raise ApiError(413, "payload_too_large", f"the body is larger than {max_body} bytes")
            body = await request.body()          # bounded by the Content-Length just checked
            if len(body) <= max_body:
                return body
            raise ApiError(413, "payload_too_large", f"the body is larger than {max_body} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body:
                raise ApiError(413, "payload_too_large", f"the body is larger than {max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    request_body_schema = WebhookIn.model_json_schema()

    @app.post("/webhook", status_code=202, response_model=Accepted, summary="Queue a question",
              responses={202: {"model": Accepted, "description": "Queued; the answer follows asynchronously."},
                         400: _err("The body is not valid JSON."), 401: AUTH_401, 409: REPLAY_409,
                         413: _err("The body is larger than 64 KiB."),
                         415: _err("The body is not sent as Content-Type: application/json."),
                         422: _err("A field is missing or invalid, an unknown agent, or an unknown callback."),
                         503: _err("The queue is unavailable; nothing was accepted, retry later.")},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": request_body_schema}}}})
    async def post_webhook(request: Request) -> Response:
        key_caller = auth.check_key(request.headers)
        check_json_content_type(request.headers.get("content-type"))
        raw = await read_body(request)
        signed = auth.check_signature(request.headers, raw)
        try:
            item = WebhookIn.model_validate_json(raw)     # parse and validate in one pass (pydantic-core)
        except ValidationError as exc:
            errors = exc.errors()
            if any(e.get("type") == "json_invalid" for e in errors):
                raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
            if any(e.get("type") == "model_type" and not e.get("loc") for e in errors):
                raise ApiError(422, "invalid_request", "the body must be a JSON object") from None
            raise ApiError(422, "invalid_request", "the request is not valid", _validation_details(errors)) from None
        if item.callback is not None and normalised_name(item.callback) not in callback_norm:
            raise ApiError(422, "unknown_callback", "unknown callback endpoint" + (
                f"; configured: {', '.join(callbacks)}" if callbacks else "; none is configured (webhooks.endpoints)"),
                [{"loc": ["body", "callback"], "msg": "not a configured endpoint", "type": "unknown_callback",
                  "allowed": callbacks}])
        tracking_id = new_tracking_id()
        caller = auth.caller(key_caller, signed)
        if signed is not None:
            auth.replays.claim(signed, caller, tracking_id)      # 409 for a webhook-id seen before
        queued_at = utc_now()
        body = {"query": item.query or f"confirm {item.confirm_action_id}", "source_system": item.source_system,
                "source_process": item.source_process,
                "timestamp": item.timestamp.isoformat(), "agent": item.agent,
                "session_id": item.session_id or new_session_id(), "callback": item.callback}
        body = redact_value(body)      # only the redacted question is ever stored or sent (redaction.py)
        body["caller"] = caller        # who asked: a dry run's actions may be confirmed by the same caller only
        if item.confirm_action_id:
            body["confirm_action_id"] = item.confirm_action_id
        try:
            if sync_submit:
                queue.submit(tracking_id, body, queued_at, caller)     # one short SQLite INSERT
            else:
                from starlette.concurrency import run_in_threadpool

                await run_in_threadpool(queue.submit, tracking_id, body, queued_at, caller)
        except Exception as exc:
            if signed is not None:
                auth.replays.release(signed)           # not accepted: the sender may retry the same message
            log.error("queue unavailable: %s", type(exc).__name__)
            raise ApiError(503, "queue_unavailable", "the queue is unavailable; the request was not accepted",
                           headers={"Retry-After": "5"}) from None
        return _json(202, {"success": True, "tracking_id": tracking_id, "message": "Request queued for processing",
                           "queued_at": queued_at, "status": "queued", "status_url": f"/requests/{tracking_id}"})

    app.add_middleware(FastIntake, handler=post_webhook)

    @app.get("/requests/{tracking_id}", response_model=RequestStatus, summary="Status and answer of a request",
             responses={401: AUTH_401, 404: _err("No request with this tracking id made by this caller."),
                        409: REPLAY_409, 422: _err("The tracking id is not valid."),
                        503: _err("The request store is unavailable.")})
    async def get_request(tracking_id: str, request: Request) -> Response:
        caller = authenticate_read(request)
        if len(tracking_id) > 64:
            raise ApiError(404, "not_found", "no request with this tracking id")
        try:
            rec = store.get(tracking_id)
            if rec is not None and (rec.get("caller") or "anonymous") != caller:
                rec = None                             # another caller's request: exactly like an unknown one
            delivery = None
            if rec is not None:
                row = store.conn.execute("SELECT id, endpoint, url, status, attempts, last_status, error, updated_at "
                                         "FROM deliveries WHERE tracking_id = ?", (tracking_id,)).fetchone()
                delivery = dict(row) if row else None
        except Exception as exc:
            log.error("request store unavailable: %s", type(exc).__name__)
            raise ApiError(503, "store_unavailable", "the request store is unavailable") from None
        if rec is None:
            raise ApiError(404, "not_found", "no request with this tracking id")
        rec, delivery = redact_value(rec), redact_value(delivery)    # rows written before redaction existed
        body = rec["body"]
        return _json(200, {"tracking_id": rec["tracking_id"], "status": rec["status"],
                           "source_system": body.get("source_system"), "source_process": body.get("source_process"),
                           "query": body.get("query"), "session_id": body.get("session_id"),
                           "queued_at": rec["queued_at"], "updated_at": rec["updated_at"],
                           "receive_count": rec["receive_count"], "error": rec["error"], "answer": rec["answer"],
                           "delivery": delivery})

    @app.get("/requests", response_model=RequestList, summary="The caller's own requests, newest first",
             responses={401: AUTH_401, 409: REPLAY_409, 422: _err("limit is not a whole number from 1 to 500."),
                        503: _err("The request store is unavailable.")})
    async def list_requests(request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Response:
        caller = authenticate_read(request)
        try:
            recs = store.list_for(caller, limit)
        except Exception as exc:
            log.error("request store unavailable: %s", type(exc).__name__)
            raise ApiError(503, "store_unavailable", "the request store is unavailable") from None
        return _json(200, {"requests": [redact_value(
            {"tracking_id": r["tracking_id"], "status": r["status"], "source_system": r["body"].get("source_system"),
             "source_process": r["body"].get("source_process"), "queued_at": r["queued_at"],
             "updated_at": r["updated_at"]}) for r in recs]})

    @app.get("/healthz", response_model=Health, summary="Liveness")
    async def healthz() -> Response:
        return _json(200, {"status": "ok", "version": __version__})

    def write_problems() -> str | None:
        """Why the queue's store or the conversation log cannot be written now, or None (no file paths:
        /readyz may be reachable by anyone; the server log has them)."""
        from revops_cli.sidefiles import write_problem

        problem = store.write_problem()
        if problem:
            log.error("not ready: the queue %s cannot be written: %s", store.path, problem)
            return f"queue: {problem}"
        if settings.get("conversations.enabled", True):
            problem = write_problem(settings.conversations_path.parent)
            if problem:
                log.error("not ready: the conversation log %s cannot be written: %s",
                          settings.conversations_path, problem)
                return f"conversation log: {problem}"
        return None

    @app.get("/readyz", response_model=Health, summary="Readiness: the queue answers, its store and the "
                                                        "conversation log can be written, workers run",
             responses={503: {"model": Health, "description": "Not ready: the queue or the workers are down, or "
                                                              "the queue's store or the log cannot be written "
                                                              "(disk full, read-only, a damaged file)."}})
    async def readyz() -> Response:
        from starlette.concurrency import run_in_threadpool

        kind = "sqlite" if sync_submit else "sqs"
        try:
            if sync_submit:
                depth = queue.depth()
            else:
                depth = await run_in_threadpool(queue.depth)
        except Exception as exc:
            from revops_cli.sidefiles import reason

            return _json(503, {"status": "unavailable", "queue": kind, "error": f"queue: {reason(exc)}"})
        problem = await run_in_threadpool(write_problems)
        if problem:        # a full or read-only disk, a damaged queue file: new work could not be kept
            return _json(503, {"status": "unavailable", "queue": kind, "queue_depth": depth, "error": problem})
        pool = state.get("pool")
        alive = sum(1 for t in pool.threads if t.is_alive()) if pool is not None else 0
        if start_workers and workers > 0 and pool is not None and alive == 0:
            return _json(503, {"status": "unavailable", "queue": kind, "queue_depth": depth, "workers": 0,
                               "error": "no worker is running"})
        return _json(200, {"status": "ready", "queue": kind, "queue_depth": depth, "workers": alive})

    return app
