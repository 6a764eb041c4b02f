# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Apache Pinot controller/broker client, and the pure functions the
pinot_* modules reconcile with.

HTTP goes through ``ansible.module_utils.urls.open_url`` (no third-party
library), so the same client runs inside a module and in tests.

* ``PinotClient(base_url, headers=None, validate_certs=True, ca_path=None, timeout=30)``
  -- ``base_url`` may carry a path prefix (the Kubernetes API service proxy:
  ``https://<eks>/api/v1/namespaces/pinot/services/pinot-controller:9000/proxy``)
  and ``headers`` an ``Authorization: Bearer ...``. ``get/post/put/delete``
  return ``(status, body)`` (body parsed as JSON when it is JSON) and raise
  ``PinotError`` (URL, status, body snippet) on any status not in ``ok``.
* Controller helpers: ``health``, ``cluster_name``, ``live_instances``,
  ``tables``, ``get_table``, ``create_table``, ``update_table``, ``delete_table``,
  ``get_schema``, ``put_schema``, ``delete_schema``, ``table_state``.
  Broker helper: ``query`` (raises on a non-empty ``exceptions`` array, which
  the broker sends with HTTP 200).
* Pure: ``raw_table_name``, ``is_subset``, ``project``, ``config_diff``,
  ``state_problems``, ``merge``, ``normalise_table_config``, ``changed_paths``,
  ``parse_json_option``.

How Pinot 0.11.0's controller really answers (measured; the modules rely on it):
``GET /tables/{missing}`` is 200 ``{}``; ``GET /tables/{t}?type=realtime`` is
``{"REALTIME": {...}}`` with defaults filled in and ``tableName`` ``t_REALTIME``;
``POST /tables`` on an existing table is 409; ``PUT /tables/{t}`` is 404 when
absent and 400 when the body's name differs; ``POST /schemas`` upserts (400 on
an incompatible change); ``DELETE /schemas/{s}`` is 409 while a table uses it
and 404 when missing; a REALTIME table without its schema is 400 (an OFFLINE
one is accepted by 0.11.0, so the module checks the schema itself);
``/tables/{t}/externalview`` is 404 for a table with no segment yet. The 409 of
``DELETE /schemas`` covers only a REALTIME table named as the schema: an OFFLINE
table (or one naming the schema in ``segmentsConfig.schemaName``) does not stop
the delete, hence ``tables_using_schema``.
"""

from __future__ import annotations

import json
import socket
import ssl
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

TABLE_TYPES = ("REALTIME", "OFFLINE")
ROLES = {"controller": "Controller_", "broker": "Broker_", "server": "Server_", "minion": "Minion_"}
SNIPPET = 400


class PinotError(Exception):
    """A Pinot REST call failed: wrong status, unreachable host, or a query error."""

    def __init__(self, message, url=None, status=None, body=None):
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body


def snippet(body, limit=SNIPPET):
    """A short one-paragraph rendering of a response body for error messages."""
    if isinstance(body, dict) and "error" in body:
        text = str(body["error"])
    elif isinstance(body, (dict, list)):
        text = json.dumps(body, sort_keys=True)
    else:
        text = str(body or "")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def client_argument_spec():
    """Connection options shared by the pinot_* modules (see doc fragment streamstack.pipeline.pinot)."""
    return dict(
        controller_url=dict(type="str", required=True),
        headers=dict(type="dict", default={}, no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="int", default=30),
    )


def client_from_module(module, what):
    """The controller client of a module; fails the module (naming ``what``) on a bad URL."""
    params = module.params
    try:
        return PinotClient(
            params["controller_url"],
            headers=params.get("headers"),
            validate_certs=params.get("validate_certs", True),
            ca_path=params.get("ca_path"),
            timeout=params.get("timeout", 30),
        )
    except PinotError as exc:
        module.fail_json(msg="%s: controller_url: %s" % (what, exc))


class PinotClient:
    """JSON over HTTP(S) to one Pinot controller or broker."""

    def __init__(self, base_url, headers=None, validate_certs=True, ca_path=None, timeout=30):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise PinotError("the URL must start with http:// or https://, got %r" % (base_url,))
        self.base_url = base_url.rstrip("/")
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout

    # -- transport ---------------------------------------------------------
    def url(self, path, params=None):
        url = self.base_url + "/" + path.lstrip("/")
        if params:
            url += "?" + urlencode(params)
        return url

    def request(self, method, path, body=None, params=None, ok=(200,), timeout=None):
        """``(status, parsed body)``; raises PinotError unless the status is in ``ok``."""
        url = self.url(path, params)
        # Not only JSON: /health answers text/plain and refuses (406) an Accept of JSON alone.
        headers = {"Accept": "application/json, text/plain;q=0.9, */*;q=0.8"}
        headers.update(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            resp = open_url(
                url,
                data=data,
                headers=headers,
                method=method,
                validate_certs=self.validate_certs,
                ca_path=self.ca_path,
                timeout=timeout or self.timeout,
                follow_redirects="safe",
            )
            status, raw = resp.getcode(), resp.read()
        except HTTPError as exc:
            status = exc.code
            try:
                raw = exc.read()
            except Exception:  # pylint: disable=broad-except  # body is best effort
                raw = b""
        except (URLError, UrlsConnectionError, socket.timeout, ssl.SSLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise PinotError("%s %s failed: %s" % (method, url, reason), url=url)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = text
        if status not in ok:
            raise PinotError(
                "%s %s answered HTTP %s: %s" % (method, url, status, snippet(parsed)),
                url=url,
                status=status,
                body=parsed,
            )
        return status, parsed

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body=body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request("PUT", path, body=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    # -- cluster -----------------------------------------------------------
    def health(self, path="/health"):
        """True when the component's health endpoint answers 200 (controller/broker: ``/health``)."""
        try:
            status, _ = self.get(path, ok=(200, 503))
        except PinotError as exc:
            if exc.status is None:
                raise
            return False
        return status == 200

    def cluster_name(self):
        _, body = self.get("/cluster/info")
        if not isinstance(body, dict) or not body.get("clusterName"):
            raise PinotError("GET %s: no clusterName in %s" % (self.url("/cluster/info"), snippet(body)))
        return body["clusterName"]

    def version(self):
        """The controller's Pinot version (``0.11.0``), or None if it does not say."""
        try:
            _, body = self.get("/version")
        except PinotError:
            return None
        if isinstance(body, dict) and body:
            value = body.get("pinot-controller") or sorted(body.values())[0]
            return str(value).split("-")[0]
        return None

    def live_instances(self, cluster):
        """``{role: [instance ids]}`` of the instances live in ZooKeeper (not merely configured)."""
        _, body = self.get("/zk/ls", params={"path": "/%s/LIVEINSTANCES" % cluster})
        if not isinstance(body, list):
            raise PinotError("GET /zk/ls of cluster %s: expected a list, got %s" % (cluster, snippet(body)))
        return group_instances(body)

    # -- tables ------------------------------------------------------------
    def tables(self):
        """``[(raw name, type), ...]`` of every table."""
        found = []
        for table_type in TABLE_TYPES:
            _, body = self.get("/tables", params={"type": table_type.lower()})
            for name in (body or {}).get("tables", []):
                found.append((raw_table_name(name), table_type))
        return sorted(found)

    def get_table(self, name, table_type):
        """The table config as the controller stores it, or None when absent."""
        _, body = self.get("/tables/%s" % quote(name), params={"type": table_type.lower()})
        if isinstance(body, dict):
            return body.get(table_type.upper()) or None
        return None

    def create_table(self, config):
        return self.post("/tables", config)[1]

    def update_table(self, name, config):
        return self.put("/tables/%s" % quote(name), config)[1]

    def delete_table(self, name, table_type):
        """True when deleted, False when there was nothing to delete (404)."""
        status, _ = self.delete("/tables/%s" % quote(name), params={"type": table_type.lower()}, ok=(200, 404))
        return status == 200

    def ideal_state(self, name, table_type):
        """``{segment: {instance: state}}`` of the ideal state; None when the table is absent."""
        return self._segment_map("idealstate", name, table_type)

    def external_view(self, name, table_type):
        """``{segment: {instance: state}}`` of the external view; {} before the first segment."""
        return self._segment_map("externalview", name, table_type)

    def _segment_map(self, what, name, table_type):
        status, body = self.get(
            "/tables/%s/%s" % (quote(name), what), params={"tableType": table_type.lower()}, ok=(200, 404)
        )
        if status == 404:
            return None
        if isinstance(body, dict):
            return body.get(table_type.upper()) or {}
        return {}

    def table_state(self, name, table_type):
        """Ideal state against external view, with CONSUMING segments counted."""
        ideal = self.ideal_state(name, table_type)
        if ideal is None:
            return None
        external = self.external_view(name, table_type) or {}
        return summarise_state(name, table_type, ideal, external)

    # -- schemas -----------------------------------------------------------
    def schemas(self):
        return sorted(self.get("/schemas")[1] or [])

    def get_schema(self, name):
        status, body = self.get("/schemas/%s" % quote(name), ok=(200, 404))
        return body if status == 200 and isinstance(body, dict) else None

    def put_schema(self, schema):
        """POST /schemas: creates, or updates in place (Pinot upserts)."""
        return self.post("/schemas", schema)[1]

    def tables_using_schema(self, schema):
        """``[name_TYPE, ...]`` of the tables whose schema is ``schema`` (named so, or by
        ``segmentsConfig.schemaName``). Pinot 0.11.0's DELETE /schemas only refuses (409) for a
        REALTIME table named as the schema, so the module asks this first."""
        users = []
        for raw, table_type in self.tables():
            if raw == schema:
                users.append("%s_%s" % (raw, table_type))
                continue
            config = self.get_table(raw, table_type) or {}
            if (config.get("segmentsConfig") or {}).get("schemaName") == schema:
                users.append("%s_%s" % (raw, table_type))
        return users

    def delete_schema(self, name):
        """True when deleted, False when missing; PinotError (409) while a table uses it."""
        status, _ = self.delete("/schemas/%s" % quote(name), ok=(200, 404))
        return status == 200

    # -- broker --------------------------------------------------------------
    def query(self, sql, timeout=None):
        """Run SQL on a broker (this client's base URL); raise on the ``exceptions`` array."""
        _, body = self.post("/query/sql", {"sql": sql}, timeout=timeout)
        if not isinstance(body, dict):
            raise PinotError("query %r: unexpected answer %s" % (sql, snippet(body)), url=self.url("/query/sql"))
        if body.get("exceptions"):
            first = body["exceptions"][0]
            message = "; ".join(
                "%s (code %s)"
                % (str(e.get("message", "")).splitlines()[0] if e.get("message") else "?", e.get("errorCode"))
                for e in body["exceptions"]
            )
            raise PinotError(
                "query %r failed on %s: %s" % (sql, self.url("/query/sql"), snippet(message)),
                url=self.url("/query/sql"),
                status=200,
                body=first,
            )
        return body


# ---------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------


def group_instances(instance_ids):
    """Instance ids grouped by role prefix; ids with another prefix go under ``other``."""
    grouped = {role: [] for role in ROLES}
    for instance in sorted(instance_ids):
        for role, prefix in ROLES.items():
            if instance.startswith(prefix):
                grouped[role].append(instance)
                break
        else:
            grouped.setdefault("other", []).append(instance)
    return grouped


def raw_table_name(name):
    """``events_REALTIME`` -> ``events``; names without a type suffix are returned unchanged."""
    for table_type in TABLE_TYPES:
        suffix = "_" + table_type
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def summarise_state(name, table_type, ideal, external):
    """Compare ideal state and external view replica by replica."""
    mismatches = []
    consuming = set()
    for segment in sorted(ideal):
        for instance, want in sorted((ideal[segment] or {}).items()):
            have = (external.get(segment) or {}).get(instance)
            if have == "CONSUMING":
                consuming.add(segment)
            if have != want:
                mismatches.append(
                    {"segment": segment, "instance": instance, "ideal_state": want, "external_view": have or "MISSING"}
                )
    errors = sorted(
        {seg for seg, replicas in external.items() for state in (replicas or {}).values() if state == "ERROR"}
    )
    return {
        "name": name,
        "type": table_type,
        "table_name_with_type": "%s_%s" % (name, table_type),
        "segments": len(ideal),
        "consuming_segments": len(consuming) if table_type == "REALTIME" else None,
        "error_segments": errors,
        "mismatches": mismatches,
        "in_sync": not mismatches,
    }


def state_problems(state):
    """Human sentences for what is wrong with a summarise_state() result."""
    problems = []
    full = state["table_name_with_type"]
    for m in state["mismatches"]:
        problems.append(
            "table %s: segment %s is %s in the external view but %s in the ideal state (instance %s)"
            % (full, m["segment"], m["external_view"], m["ideal_state"], m["instance"])
        )
    if state["type"] == "REALTIME" and not state["consuming_segments"]:
        problems.append("realtime table %s has no CONSUMING segment" % state["name"])
    return problems


def _scalar_equal(want, have):
    """Equal, or equal once Pinot's string coercion is accounted for (1 == "1", True == "true")."""
    if want == have and type(want) is type(have):
        return True
    if isinstance(want, bool) or isinstance(have, bool):
        return str(want).lower() == str(have).lower()
    if isinstance(want, (int, float)) and isinstance(have, (int, float)):
        return want == have
    if isinstance(want, (int, float, str)) and isinstance(have, (int, float, str)):
        try:
            return float(want) == float(have)
        except (TypeError, ValueError):
            return str(want) == str(have)
    return False


def is_subset(want, have):
    """True when every key ``want`` sets has the same value in ``have``, recursively.

    Dicts: only the keys of ``want`` count (the controller fills defaults).
    Lists: same length, element by element. A ``None`` in ``want`` matches a
    missing key or a null. Scalars compare after Pinot's string coercion.
    """
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return not want and have is None
        for key, value in want.items():
            if key not in have:
                if value is None or value == {} or value == []:
                    continue
                return False
            if not is_subset(value, have[key]):
                return False
        return True
    if isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            return False
        return all(is_subset(w, h) for w, h in zip(want, have))
    if want is None:
        return have is None
    return _scalar_equal(want, have)


def project(have, want):
    """``have`` cut down to the keys ``want`` sets (recursively): the 'before' of a diff."""
    if isinstance(want, dict) and isinstance(have, dict):
        return {k: project(have[k], v) for k, v in want.items() if k in have}
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        return [project(h, w) for w, h in zip(want, have)]
    if not isinstance(want, (dict, list)) and not isinstance(have, (dict, list)) and is_subset(want, have):
        return want  # equal after coercion ("1" vs 1): show no difference
    return have


def merge(base, overlay):
    """``overlay`` laid over ``base``: dicts merge recursively, anything else is replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        result = dict(base)
        for key, value in overlay.items():
            result[key] = merge(base[key], value) if key in base else value
        return result
    return overlay


def normalise_table_config(config, table_type=None):
    """A copy with the name's _REALTIME/_OFFLINE suffix stripped and tableType upper-cased."""
    result = json.loads(json.dumps(config or {}))
    if isinstance(result.get("tableName"), str):
        result["tableName"] = raw_table_name(result["tableName"])
    if isinstance(result.get("tableType"), str):
        result["tableType"] = result["tableType"].upper()
    elif table_type:
        result["tableType"] = table_type.upper()
    return result


def config_diff(have, want, header="", after_override=None):
    """An Ansible ``diff`` dict over the keys ``want`` sets only.

    ``have`` None means absent (before is empty); ``want`` None means deleting.
    """
    if want is None:
        before = have or {}
        after = {}
    else:
        before = project(have, want) if have is not None else {}
        after = want if after_override is None else after_override
    return {
        "before": before,
        "after": after,
        "before_header": "%s (controller)" % header if header else "controller",
        "after_header": "%s (desired)" % header if header else "desired",
    }


def changed_paths(have, want, prefix=""):
    """Dotted paths of the keys where ``want`` differs from ``have`` (for messages)."""
    paths = []
    if isinstance(want, dict) and isinstance(have, dict):
        for key, value in want.items():
            path = "%s.%s" % (prefix, key) if prefix else str(key)
            if key not in have:
                if not (value is None or value == {} or value == []):
                    paths.append(path)
            elif not is_subset(value, have[key]):
                paths.extend(changed_paths(have[key], value, path))
        return paths
    if not is_subset(want, have):
        return [prefix or "(root)"]
    return paths


def parse_json_option(value, option):
    """A dict option given as a dict or as a JSON string; raises ValueError naming the option."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise ValueError("%s is not valid JSON: %s" % (option, exc))
        if not isinstance(parsed, dict):
            raise ValueError("%s must be a JSON object, got %s" % (option, type(parsed).__name__))
        return parsed
    raise ValueError("%s must be a dict or a JSON string, got %s" % (option, type(value).__name__))
