"""moto in server mode, with DynamoDB made atomic under concurrency.

moto's DynamoDB backend is not thread-safe: a TransactWriteItems that is cancelled restores a snapshot of the
table taken before it ran, so a transaction that committed meanwhile on another thread is silently undone (seen
in tests/e2e: a co-registration lost to a concurrent duplicate request). Real DynamoDB serialises conflicting
writes; here every DynamoDB request takes one lock. Only DynamoDB: a Lambda invocation, for instance, runs our
handler, which itself calls DynamoDB on this server, and must not hold the lock.

In-process moto (tests, bench) has the same backend behind botocore's stubber: once moto's Step Functions worker
thread runs our handlers (`LambdaDispatcher.install_into_moto`), `serialise_dynamodb_in_process` gives it the same
one-request-at-a-time DynamoDB (seen: a decision's cancelled transaction racing the workflow's Notify task, a 500)."""

from __future__ import annotations

import threading

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


_IN_PROCESS_LOCK = threading.Lock()


def _is_dynamodb(headers) -> bool:
    target = headers.get("X-Amz-Target") or b""
    return (target.decode() if isinstance(target, bytes) else target).startswith("DynamoDB_")


def serialise_dynamodb_in_process() -> None:
    """Every DynamoDB request to in-process moto, one at a time (idempotent: patched once)."""
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.process_request, "serialised", False):
        return
    original = BotocoreStubber.process_request

    def process_request(self, request):  # noqa: ANN001, ANN202
        if _is_dynamodb(request.headers):
            with _IN_PROCESS_LOCK:
                return original(self, request)
        return original(self, request)

    process_request.serialised = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


class SerialisedDynamoDB:
    def __init__(self, app) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self._lock:
                # Consume the whole response inside the lock: the backend runs lazily while it is iterated.
                return list(self._app(environ, start_response))
        return self._app(environ, start_response)


class LocalMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        app = SerialisedDynamoDB(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
