"""A stand-in for the AWX API, enough for the awx.awx modules awx/apply.yml uses.

No AWX server can run on these machines (it needs PostgreSQL, Redis, Receptor
and container images), so awx/apply.yml is exercised against this: an
in-memory REST store speaking the /api/v2/ conventions the collection relies
on (list views with filters and ``count``/``next``, ``related`` links,
association endpoints taking ``{"id": n}`` and ``{"id": n, "disassociate":
true}``, survey_spec sub-resources, ``$encrypted$`` for secret inputs, the
X-API-Product-* headers, bearer tokens). Every request is recorded, so a test
can prove that check mode wrote nothing.

What it does not do, and so what the tests cannot show: project syncs and
inventory updates (no git, no ansible-inventory), the API's own validation of
each field (the unit tests validate against the modules' specs and AWX's
survey and schedule rules instead), RBAC, and running jobs.
"""
from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

AWX_VERSION = "24.6.1"
ASSOCIATIONS = ("credentials", "notification_templates_error", "notification_templates_started",
                "notification_templates_success", "notification_templates_approvals", "instance_groups", "labels",
                "success_nodes", "failure_nodes", "always_nodes", "galaxy_credentials", "input_inventories")
TYPES = {"organizations": "organization", "execution_environments": "execution_environment",
         "credentials": "credential", "credential_types": "credential_type", "projects": "project",
         "inventories": "inventory", "inventory_sources": "inventory_source",
         "notification_templates": "notification_template", "job_templates": "job_template",
         "workflow_job_templates": "workflow_job_template", "workflow_job_template_nodes": "workflow_job_template_node",
         "schedules": "schedule", "instance_groups": "instance_group", "labels": "label"}
UNIFIED = ("job_templates", "workflow_job_templates", "projects", "inventory_sources")
AWS_TYPE = {"name": "Amazon Web Services", "kind": "cloud", "namespace": "aws", "managed": True,
            "inputs": {"fields": [{"id": "username", "type": "string"},
                                  {"id": "password", "type": "string", "secret": True},
                                  {"id": "security_token", "type": "string", "secret": True}]}}
ENCRYPTED = "$encrypted$"


class FakeController:
    def __init__(self, token: str):
        self.token = token
        self.store: dict[str, dict[int, dict]] = {kind: {} for kind in TYPES}
        self.links: dict[tuple[str, int, str], list[int]] = {}
        self.surveys: dict[tuple[str, int], dict] = {}
        self.requests: list[tuple[str, str]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._create("credential_types", dict(AWS_TYPE))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ----------------------------------------------------------- lifecycle
    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def writes(self):
        return [(m, p) for m, p in self.requests if m != "GET"]

    def names(self, kind):
        return sorted(o.get("name", o.get("identifier")) for o in self.store[kind].values())

    def get(self, kind, name):
        (found,) = [o for o in self.store[kind].values() if o.get("name") == name]
        return found

    def associated(self, kind, obj, relation):
        return self.links.get((kind, obj["id"], relation), [])

    def survey(self, kind, obj):
        return self.surveys.get((kind, obj["id"]), {})

    # ----------------------------------------------------------- objects
    def _create(self, kind, fields):
        oid = next(self._ids)
        obj = {"id": oid, "type": TYPES[kind], "url": "/api/v2/%s/%d/" % (kind, oid)}
        obj.update(self._masked(kind, fields))
        obj["related"] = {rel: "/api/v2/%s/%d/%s/" % (kind, oid, rel) for rel in ASSOCIATIONS + ("survey_spec", "workflow_nodes")}
        obj["summary_fields"] = {}
        obj.setdefault("scm_revision", "")
        self.store[kind][oid] = obj
        return obj

    def _masked(self, kind, fields):
        fields = dict(fields)
        if kind == "credentials" and isinstance(fields.get("inputs"), dict):
            ctype = self.store["credential_types"].get(fields.get("credential_type"), {})
            secret = {f["id"] for f in ctype.get("inputs", {}).get("fields", []) if f.get("secret")}
            fields["inputs"] = {k: (ENCRYPTED if k in secret and v else v) for k, v in fields["inputs"].items()}
        return fields

    def _list(self, kind, query):
        if kind == "unified_job_templates":
            items = [o for k in UNIFIED for o in self.store[k].values()]
        else:
            items = list(self.store[kind].values())
        ors = [(k[4:], v) for k, v in query if k.startswith("or__")]
        ands = [(k, v) for k, v in query if not k.startswith("or__") and k not in ("page", "page_size", "order_by")]

        def matches(obj, key, value):
            if key.endswith("__in"):
                return str(obj.get(key[:-4])) in value.split(",")
            return str(obj.get(key)) == value

        found = [o for o in items if all(matches(o, k, v) for k, v in ands)
                 and (not ors or any(matches(o, k, v) for k, v in ors))]
        return {"count": len(found), "next": None, "previous": None, "results": found}

    # ----------------------------------------------------------- HTTP
    def _handle(self, method, path, query, body):
        parts = [p for p in urlsplit(path).path.split("/") if p]
        if parts[:2] != ["api", "v2"]:
            return 404, {"detail": "not found"}
        parts = parts[2:]
        if not parts:
            return 200, {"ping": "/api/v2/ping/"}
        kind = parts[0]
        if kind not in self.store and kind != "unified_job_templates":
            return 404, {"detail": "unknown endpoint %s" % kind}
        if len(parts) == 1:
            if method == "GET":
                return 200, self._list(kind, query)
            if method == "POST":
                return 201, self._create(kind, body)
            return 405, {}
        oid = int(parts[1])
        obj = self.store.get(kind, {}).get(oid)
        if obj is None:
            return 404, {"detail": "not found"}
        if len(parts) == 2:
            if method == "GET":
                return 200, obj
            if method in ("PATCH", "PUT"):
                obj.update(self._masked(kind, body))
                return 200, obj
            if method == "DELETE":
                del self.store[kind][oid]
                return 204, None
            return 405, {}
        relation = parts[2]
        if relation == "survey_spec":
            if method == "GET":
                return 200, self.surveys.get((kind, oid), {})
            if method == "POST":
                self.surveys[(kind, oid)] = body
                return 200, {}
            if method == "DELETE":
                self.surveys.pop((kind, oid), None)
                return 200, {}
        if relation == "workflow_nodes":
            if method == "GET":
                return 200, self._list("workflow_job_template_nodes", [("workflow_job_template", str(oid))])
            if method == "POST":
                return 201, self._create("workflow_job_template_nodes", {**body, "workflow_job_template": oid})
        if relation in ASSOCIATIONS:
            linked = self.links.setdefault((kind, oid, relation), [])
            if method == "GET":
                target = "workflow_job_template_nodes" if relation.endswith("_nodes") else (
                    "notification_templates" if relation.startswith("notification_templates") else relation)
                results = [self.store[target][i] for i in linked if i in self.store.get(target, {})]
                return 200, {"count": len(results), "next": None, "previous": None, "results": results}
            if method == "POST":
                if body.get("disassociate"):
                    linked.remove(body["id"])
                elif body["id"] not in linked:
                    linked.append(body["id"])
                return 204, None
        return 404, {"detail": "unknown relation %s" % relation}

    def _handler(self):
        controller = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self, method):
                with controller._lock:
                    controller.requests.append((method, self.path))
                    if self.headers.get("Authorization") != "Bearer %s" % controller.token:
                        status, payload = 401, {"detail": "Authentication credentials were not provided."}
                    else:
                        length = int(self.headers.get("Content-Length") or 0)
                        raw = self.rfile.read(length) if length else b""
                        body = json.loads(raw) if raw else {}
                        status, payload = controller._handle(method, self.path, parse_qsl(urlsplit(self.path).query), body)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-API-Product-Name", "AWX")
                self.send_header("X-API-Product-Version", AWX_VERSION)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_PATCH(self):
                self._serve("PATCH")

            def do_PUT(self):
                self._serve("PUT")

            def do_DELETE(self):
                self._serve("DELETE")

        return Handler
