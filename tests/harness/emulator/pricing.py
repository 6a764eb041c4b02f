"""The AWS Price List API (service `pricing`), which moto lacks entirely.

A WSGI middleware in front of moto's app (FACTS.md: "A service moto lacks
entirely (Pricing) is simplest as a small WSGI middleware"). It answers the
JSON 1.1 operations `GetProducts` and `DescribeServices` (X-Amz-Target
`AWSPriceListService.*`) from a catalogue the tests seed with

    POST /_harness/pricing/products   [{"serviceCode": "AmazonEC2", "attributes": {...}, "usd": 0.05, "unit": "Hrs"}]

Each seeded product is served in the Price List's own document shape
(product.attributes, terms.OnDemand.<sku>.priceDimensions.<id>.pricePerUnit.USD),
so the client parses what AWS sends. `GetProducts` applies every TERM_MATCH
filter to the product's attributes (and the service code). `/moto-api/reset`
empties the catalogue with moto's state.
"""
from __future__ import annotations

import hashlib
import json
import threading

TARGET_PREFIX = "AWSPriceListService."
SEED_PATH = "/_harness/pricing/products"


def document(product):
    sku = hashlib.sha1(json.dumps(product, sort_keys=True).encode()).hexdigest()[:16].upper()
    return {
        "product": {"productFamily": product.get("productFamily", "Compute Instance"), "sku": sku,
                    "attributes": dict(product["attributes"], servicecode=product["serviceCode"])},
        "serviceCode": product["serviceCode"],
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {
            "sku": sku, "offerTermCode": "JRTCKXETXF", "termAttributes": {},
            "priceDimensions": {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                "unit": product.get("unit", "Hrs"), "description": "seeded by the test harness",
                "pricePerUnit": {"USD": "%.10f" % product["usd"]}}}}}},
        "version": "harness", "publicationDate": "2026-11-24T00:00:00Z",
    }


class PricingMiddleware:
    def __init__(self, app):
        self.app = app
        self.products: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if path == SEED_PATH and environ.get("REQUEST_METHOD") == "POST":
            with self.lock:
                self.products = list(json.loads(self._body(environ) or b"[]"))
            return self._json(start_response, 200, {"products": len(self.products)})
        if target.startswith(TARGET_PREFIX):
            return self._pricing(environ, start_response, target[len(TARGET_PREFIX):])
        if path == "/moto-api/reset":
            with self.lock:
                self.products = []
        return self.app(environ, start_response)

    def _pricing(self, environ, start_response, operation):
        request = json.loads(self._body(environ) or b"{}")
        with self.lock:
            products = list(self.products)
        if operation == "GetProducts":
            service = request.get("ServiceCode")
            if not service:
                return self._error(start_response, "InvalidParameterException", "ServiceCode is required")
            matches = [p for p in products if p["serviceCode"] == service and all(
                f.get("Type") == "TERM_MATCH" and str(p["attributes"].get(f["Field"])) == str(f["Value"])
                for f in request.get("Filters", []))]
            return self._json(start_response, 200, {"FormatVersion": "aws_v1",
                                                    "PriceList": [json.dumps(document(p)) for p in matches]})
        if operation == "DescribeServices":
            codes = sorted({p["serviceCode"] for p in products})
            return self._json(start_response, 200, {"FormatVersion": "aws_v1", "Services": [
                {"ServiceCode": c, "AttributeNames": sorted({k for p in products if p["serviceCode"] == c
                                                             for k in p["attributes"]})} for c in codes]})
        return self._error(start_response, "UnknownOperationException",
                           f"the harness's Price List API does not serve {operation}")

    @staticmethod
    def _body(environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return environ["wsgi.input"].read(length) if length else b""

    @staticmethod
    def _json(start_response, status, payload):
        body = json.dumps(payload).encode()
        start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}",
                       [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))])
        return [body]

    def _error(self, start_response, code, message):
        return self._json(start_response, 400, {"__type": code, "message": message})
