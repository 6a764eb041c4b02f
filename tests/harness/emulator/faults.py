"""Transient AWS faults on demand: throttling and 5xx answers, seeded, per service.

A WSGI middleware in front of moto's app (and the pricing one). Off until a
test switches it on:

    POST /_harness/faults   {"rate": 0.2, "seed": 7, "services": ["ec2", "eks"], "access_keys": ["AKIA..."],
                             "throttling": 0.75}
                            (services, access_keys: all if omitted; throttling: the share of faults
                            that are throttling errors, the rest 5xx, 0.75 if omitted)
    GET  /_harness/faults   -> {"rate", "seed", "services", "calls", "injected": {service: {error: n}}}
    POST /_harness/faults   {"rate": 0}                                            (off; the counts stay)

A signed AWS request (its service from the SigV4 credential scope) is, with
probability ``rate`` drawn from ``random.Random(seed)`` in arrival order,
answered (only calls signed with one of ``access_keys``, when given: the
playbooks' own, so the test's checks stay exact) with one of the errors AWS gives for throttling or a transient
failure, in that service's protocol, **before** moto sees it (nothing
happens, as for a throttled call on AWS):

* query/XML (EC2): ``RequestLimitExceeded`` (503), ``InternalError`` (500);
* query/XML (IAM, ELBv2, STS, ...): ``Throttling`` (400), ``ServiceUnavailable`` (503);
* JSON (X-Amz-Target: CloudWatch Logs, Managed Flink, ...): ``ThrottlingException`` (400),
  ``ServiceUnavailableException`` (503);
* REST-JSON (EKS, MSK): ``TooManyRequestsException`` (429), ``ServiceUnavailableException`` (503);
* REST-XML (S3): ``SlowDown`` (503), ``InternalError`` (500).

Why the share matters: botocore's standard mode backs off ``rand(0, 1) * 1 s * 2**i``
after a throttling error and ``rand(0, 1) * 50 ms * 2**i`` after a 5xx, so each
throttling fault costs its test about half a second of sleep and each 5xx almost
none; the retry path is the same.

These are the codes and statuses botocore's retry handlers (legacy and standard
modes) treat as retryable, so a client with retries configured sees them
retried; one without fails as it would on AWS. The harness's own endpoints
(``/moto-api``, ``/_harness``) are never faulted.
"""
from __future__ import annotations

import json
import random
import re
import threading
import uuid

CONTROL_PATH = "/_harness/faults"
_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/[^/]+/([^/]+)/aws4_request")
# Services by protocol (botocore's service models).
QUERY_EC2 = {"ec2"}
QUERY = {"iam", "sts", "elasticloadbalancing", "autoscaling", "cloudformation", "sns", "sqs", "rds"}
REST_XML = {"s3"}
REST_JSON = {"eks", "kafka", "lambda", "scheduler"}


def _signer(environ):
    """(access key id, service) of a SigV4-signed request, or (None, None)."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (match.group(1), match.group(2)) if match else (None, None)


class FaultMiddleware:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.rate, self.seed, self.services, self.access_keys = 0.0, 0, None, None
        self.throttling = 0.75
        self.random = random.Random(0)
        self.calls = 0
        self.injected: dict[str, dict[str, int]] = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PATH:
            return self._control(environ, start_response)
        key, service = _signer(environ)
        if service and not path.startswith(("/moto-api", "/_harness")):
            with self.lock:
                if self.access_keys is not None and key not in self.access_keys:
                    return self.app(environ, start_response)
                self.calls += 1
                fault = (self.rate > 0 and (self.services is None or service in self.services)
                         and self.random.random() < self.rate)
                transient = fault and self.random.random() >= self.throttling
            if fault:
                return self._fault(environ, start_response, service, transient)
        return self.app(environ, start_response)

    # ---------------------------------------------------------------- control
    def _control(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(size) or b"{}")
            with self.lock:
                self.rate = float(body.get("rate", 0))
                self.seed = int(body.get("seed", 0))
                self.services = set(body["services"]) if body.get("services") else None
                self.access_keys = set(body["access_keys"]) if body.get("access_keys") else None
                self.throttling = float(body.get("throttling", 0.75))
                self.random = random.Random(self.seed)
                if body.get("reset_counts"):
                    self.calls, self.injected = 0, {}
        with self.lock:
            state = {"rate": self.rate, "seed": self.seed, "throttling": self.throttling,
                     "services": sorted(self.services) if self.services else None,
                     "access_keys": sorted(self.access_keys) if self.access_keys else None,
                     "calls": self.calls, "injected": self.injected,
                     "injected_total": sum(sum(v.values()) for v in self.injected.values())}
        return self._send(start_response, 200, {"Content-Type": "application/json"}, json.dumps(state))

    # ---------------------------------------------------------------- faults
    def _fault(self, environ, start_response, service, transient):
        request_id = str(uuid.uuid4())
        if service in QUERY_EC2:
            code, status = ("InternalError", 500) if transient else ("RequestLimitExceeded", 503)
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>%s</Code>"
                    "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>%s</RequestID>"
                    "</Response>" % (code, request_id))
            headers = {"Content-Type": "text/xml"}
        elif service in QUERY:
            code, status = ("ServiceUnavailable", 503) if transient else ("Throttling", 400)
            body = ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>Rate exceeded</Message>"
                    "</Error><RequestId>%s</RequestId></ErrorResponse>" % (code, request_id))
            headers = {"Content-Type": "text/xml"}
        elif service in REST_XML:
            code, status = ("InternalError", 500) if transient else ("SlowDown", 503)
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>Please reduce "
                    "your request rate.</Message><RequestId>%s</RequestId></Error>" % (code, request_id))
            headers = {"Content-Type": "application/xml"}
        elif service in REST_JSON or not environ.get("HTTP_X_AMZ_TARGET"):
            code, status = ("ServiceUnavailableException", 503) if transient else ("TooManyRequestsException", 429)
            body = json.dumps({"message": "Too many requests"})
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
        else:
            code, status = ("ServiceUnavailableException", 503) if transient else ("ThrottlingException", 400)
            body = json.dumps({"__type": code, "message": "Rate exceeded"})
            headers = {"Content-Type": "application/x-amz-json-1.1"}
        headers["x-amzn-RequestId"] = request_id
        with self.lock:
            per = self.injected.setdefault(service, {})
            per[code] = per.get(code, 0) + 1
        size = int(environ.get("CONTENT_LENGTH") or 0)
        if size:
            environ["wsgi.input"].read(size)  # drain the request, as a server would
        return self._send(start_response, status, headers, body)

    @staticmethod
    def _send(start_response, status, headers, body):
        data = body.encode()
        reason = {200: "OK", 400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error",
                  503: "Service Unavailable"}[status]
        start_response("%d %s" % (status, reason), list(headers.items()) + [("Content-Length", str(len(data)))])
        return [data]
