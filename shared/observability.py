"""Logger, Tracer and Metrics, created once and shared by every function (service name from the environment), and the
one decorator stack every Lambda entry point wears."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
# Only botocore: every call a function makes leaves through it. Patching "all" imports requests, sqlite3, httplib
# and more at cold start (~0.4× an `import boto3`), for calls we never make.
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics(namespace="Furusato")

# X-Ray keeps traces 30 days, outside the table's key and its erasure: a handler's response (names, addresses, birth
# dates, e-mail, presigned URLs) or an exception's text must never become trace metadata (R-PRIV-1). Powertools
# captures both by default; the stack also sets POWERTOOLS_TRACER_CAPTURE_RESPONSE/ERROR=false for any other
# decorated method.
TRACE_CAPTURE = {"capture_response": False, "capture_error": False}


def entry_point(correlation_id_path: str | None = None) -> Callable:
    """Logger context (with the request's correlation id), a trace segment without payloads, metrics flushed."""

    def decorate(handler: Callable) -> Callable:
        traced = tracer.capture_lambda_handler(metrics.log_metrics(handler), **TRACE_CAPTURE)
        return logger.inject_lambda_context(correlation_id_path=correlation_id_path)(traced)

    return decorate
