"""Unit tests of module_utils/pinot_client.py: the pure reconcile functions, and the
HTTP client against a tiny local stand-in server (path prefix, headers, errors)."""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.streamstack.pipeline.plugins.module_utils import pinot_client as pc  # noqa: E402

# What GET /tables/events?type=realtime holds in Pinot 0.11.0 for a small config: defaults filled in.
STORED = {
    "tableName": "events_REALTIME",
    "tableType": "REALTIME",
    "segmentsConfig": {"schemaName": "events", "replicasPerPartition": "1", "minimizeDataMovement": False,
                       "replication": "1", "timeColumnName": "ts"},
    "tenants": {"broker": "DefaultTenant", "server": "DefaultTenant"},
    "tableIndexConfig": {"rangeIndexVersion": 2, "loadMode": "MMAP", "aggregateMetrics": False,
                         "noDictionarySizeRatioThreshold": 0.0},
    "metadata": {},
    "ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [
        {"streamType": "kafka", "stream.kafka.topic.name": "events", "stream.kafka.fetch.timeout.millis": "1000"}]}},
    "isDimTable": False,
}
DESIRED = {
    "tableName": "events",
    "tableType": "REALTIME",
    "segmentsConfig": {"schemaName": "events", "replication": 1, "timeColumnName": "ts"},
    "tenants": {},
    "tableIndexConfig": {"loadMode": "MMAP"},
    "metadata": {},
    "ingestionConfig": {"streamIngestionConfig": {"streamConfigMaps": [
        {"streamType": "kafka", "stream.kafka.topic.name": "events", "stream.kafka.fetch.timeout.millis": 1000}]}},
}


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("name, raw", [
    ("events_REALTIME", "events"), ("events_OFFLINE", "events"), ("events", "events"),
    ("_REALTIME", "_REALTIME"), ("my_realtime", "my_realtime"), ("a_OFFLINE_REALTIME", "a_OFFLINE"),
])
def test_raw_table_name(name, raw):
    assert pc.raw_table_name(name) == raw


def test_normalise_strips_suffix_and_upper_cases_type():
    norm = pc.normalise_table_config({"tableName": "events_REALTIME", "tableType": "realtime", "x": {"y": 1}})
    assert norm == {"tableName": "events", "tableType": "REALTIME", "x": {"y": 1}}
    assert pc.normalise_table_config({"tableName": "t"}, "offline")["tableType"] == "OFFLINE"


def test_normalise_does_not_touch_its_input():
    given = {"tableName": "events_REALTIME", "nested": {"a": [1]}}
    pc.normalise_table_config(given)["nested"]["a"].append(2)
    assert given == {"tableName": "events_REALTIME", "nested": {"a": [1]}}


# ---------------------------------------------------------------- subset comparison


def test_desired_is_subset_of_what_the_controller_stores():
    assert pc.is_subset(DESIRED, pc.normalise_table_config(STORED))


def test_without_normalising_the_suffix_differs():
    assert not pc.is_subset(DESIRED, STORED)
    assert pc.changed_paths(STORED, DESIRED) == ["tableName"]


@pytest.mark.parametrize("want, have", [
    (1, "1"), ("1", 1), (True, "true"), ("false", False), (0, 0.0), (1000, "1000"), ("1.5", 1.5),
    ({}, {"filled": "by controller"}), ({"a": None}, {}), ({"a": {}}, {}), ({"a": []}, {}), ({}, None),
])
def test_equal_after_coercion_or_defaults(want, have):
    assert pc.is_subset(want, have)


@pytest.mark.parametrize("want, have", [
    (1, "2"), ("MMAP", "HEAP"), (True, "false"), (True, 1), ("x", None), (None, "x"),
    ({"a": 1}, {}), ({"a": {"b": 1}}, {"a": {"b": 2}}), ({"a": 1}, []),
    ([1, 2], [1]), ([1], [1, 2]), ([{"n": "a"}, {"n": "b"}], [{"n": "b"}, {"n": "a"}]),
    ({"a": [1]}, {"a": "1"}),
])
def test_differences_are_found(want, have):
    assert not pc.is_subset(want, have)


def test_lists_compare_element_by_element_with_subset_elements():
    have = [{"name": "id", "dataType": "STRING", "singleValueField": True}, {"name": "n", "dataType": "INT"}]
    assert pc.is_subset([{"name": "id", "dataType": "STRING"}, {"name": "n"}], have)
    assert not pc.is_subset([{"name": "id", "dataType": "LONG"}, {"name": "n"}], have)


def test_changed_paths_names_the_leaves():
    have = pc.normalise_table_config(STORED)
    want = json.loads(json.dumps(DESIRED))
    want["tableIndexConfig"]["invertedIndexColumns"] = ["kind"]
    want["segmentsConfig"]["replication"] = "2"
    want["ingestionConfig"]["streamIngestionConfig"]["streamConfigMaps"][0]["stream.kafka.topic.name"] = "other"
    assert pc.changed_paths(have, want) == [
        "segmentsConfig.replication",
        "tableIndexConfig.invertedIndexColumns",
        "ingestionConfig.streamIngestionConfig.streamConfigMaps",
    ]
    assert pc.changed_paths(have, DESIRED) == []


# ---------------------------------------------------------------- projection, diff, merge


def test_project_keeps_only_desired_keys():
    before = pc.project(pc.normalise_table_config(STORED), DESIRED)
    assert set(before) == set(DESIRED)
    assert before["tenants"] == {}  # the filled-in DefaultTenant is not the user's business
    assert "rangeIndexVersion" not in before["tableIndexConfig"]


def test_project_shows_coerced_equal_values_as_desired():
    """No '-"1" / +1' noise in the diff for values Pinot stores as strings."""
    before = pc.project({"replication": "1", "loadMode": "HEAP"}, {"replication": 1, "loadMode": "MMAP"})
    assert before == {"replication": 1, "loadMode": "HEAP"}


def test_config_diff_create_update_delete():
    create = pc.config_diff(None, DESIRED, "events_REALTIME")
    assert create["before"] == {} and create["after"] == DESIRED
    assert create["before_header"] == "events_REALTIME (controller)"

    have = pc.normalise_table_config(STORED)
    same = pc.config_diff(have, DESIRED)
    assert same["before"] == same["after"] == DESIRED

    want = dict(DESIRED, tableIndexConfig={"loadMode": "HEAP"})
    update = pc.config_diff(have, want)
    assert update["before"]["tableIndexConfig"] == {"loadMode": "MMAP"}
    assert update["after"]["tableIndexConfig"] == {"loadMode": "HEAP"}

    delete = pc.config_diff(have, None)
    assert delete["before"] == have and delete["after"] == {}


def test_merge_lays_desired_over_stored():
    have = pc.normalise_table_config(STORED)
    want = {"tableIndexConfig": {"invertedIndexColumns": ["kind"]}, "tenants": {"server": "Big"}}
    merged = pc.merge(have, want)
    assert merged["tableIndexConfig"]["invertedIndexColumns"] == ["kind"]
    assert merged["tableIndexConfig"]["rangeIndexVersion"] == 2  # kept
    assert merged["tenants"] == {"broker": "DefaultTenant", "server": "Big"}
    assert have["tenants"]["server"] == "DefaultTenant"  # input untouched
    assert pc.merge({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}  # lists are replaced


# ---------------------------------------------------------------- options


def test_parse_json_option():
    assert pc.parse_json_option({"a": 1}, "schema") == {"a": 1}
    assert pc.parse_json_option('{"a": 1}', "schema") == {"a": 1}
    with pytest.raises(ValueError, match=r"^schema is not valid JSON: Expecting"):
        pc.parse_json_option('{"a": 1', "schema")
    with pytest.raises(ValueError, match="config must be a JSON object, got list"):
        pc.parse_json_option("[1]", "config")
    with pytest.raises(ValueError, match="config must be a dict or a JSON string, got int"):
        pc.parse_json_option(3, "config")


def test_group_instances_by_role():
    grouped = pc.group_instances(["Server_h_2", "Broker_h_1", "Controller_h_0", "Server_h_1", "Weird_1"])
    assert grouped == {"controller": ["Controller_h_0"], "broker": ["Broker_h_1"], "server": ["Server_h_1", "Server_h_2"],
                       "minion": [], "other": ["Weird_1"]}


# ---------------------------------------------------------------- segment state


def test_state_in_sync_and_consuming():
    ideal = {"ev__0__0__x": {"Server_a": "CONSUMING"}, "ev__1__0__x": {"Server_a": "CONSUMING"}}
    state = pc.summarise_state("ev", "REALTIME", ideal, json.loads(json.dumps(ideal)))
    assert state["in_sync"] and state["consuming_segments"] == 2 and state["segments"] == 2
    assert pc.state_problems(state) == []


def test_state_mismatch_and_no_consuming_segment_are_named():
    ideal = {"seg1": {"Server_a": "CONSUMING"}, "seg2": {"Server_a": "ONLINE"}}
    external = {"seg1": {"Server_a": "OFFLINE"}}
    state = pc.summarise_state("events", "REALTIME", ideal, external)
    assert not state["in_sync"] and state["consuming_segments"] == 0
    assert pc.state_problems(state) == [
        "table events_REALTIME: segment seg1 is OFFLINE in the external view but CONSUMING in the ideal state (instance Server_a)",
        "table events_REALTIME: segment seg2 is MISSING in the external view but ONLINE in the ideal state (instance Server_a)",
        "realtime table events has no CONSUMING segment",
    ]


def test_offline_table_without_segments_is_fine():
    state = pc.summarise_state("daily", "OFFLINE", {}, {})
    assert state["consuming_segments"] is None and pc.state_problems(state) == []


def test_error_segments_listed():
    ideal = {"s": {"Server_a": "ONLINE", "Server_b": "ONLINE"}}
    state = pc.summarise_state("d", "OFFLINE", ideal, {"s": {"Server_a": "ONLINE", "Server_b": "ERROR"}})
    assert state["error_segments"] == ["s"] and len(state["mismatches"]) == 1


# ---------------------------------------------------------------- HTTP client (local stand-in)


class _Handler(BaseHTTPRequestHandler):
    seen = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else None
        _Handler.seen.append((self.command, self.path, dict(self.headers), body))
        routes = {
            ("GET", "/prefix/proxy/schemas/ok"): (200, {"schemaName": "ok"}),
            ("GET", "/prefix/proxy/schemas/missing"): (404, {"code": 404, "error": "Schema not found"}),
            ("DELETE", "/prefix/proxy/schemas/used"): (409, {"code": 409, "error": "Cannot delete schema used, " + "x" * 600}),
            ("GET", "/prefix/proxy/tables/missing?type=realtime"): (200, {}),
            ("GET", "/prefix/proxy/tables/ev?type=realtime"): (200, {"REALTIME": {"tableName": "ev_REALTIME"}}),
            ("GET", "/prefix/proxy/health"): (200, "OK"),
            ("POST", "/prefix/proxy/query/sql"): (200, {"exceptions": [{"errorCode": 190, "message": "TableDoesNotExistError\nat ..."}]}),
        }
        status, answer = routes.get((self.command, self.path), (500, "boom"))
        data = (json.dumps(answer) if not isinstance(answer, str) else answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(answer, str) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture(scope="module")
def stand_in():
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/prefix/proxy/" % server.server_port
    server.shutdown()
    server.server_close()


def test_client_keeps_path_prefix_and_sends_headers(stand_in):
    client = pc.PinotClient(stand_in, headers={"Authorization": "Bearer t0ken"}, timeout=5)
    assert client.get_schema("ok") == {"schemaName": "ok"}
    method, path, headers, _ = _Handler.seen[-1]
    assert (method, path) == ("GET", "/prefix/proxy/schemas/ok")
    assert headers["Authorization"] == "Bearer t0ken"
    assert client.get_schema("missing") is None
    assert client.health() is True


def test_client_tables(stand_in):
    client = pc.PinotClient(stand_in, timeout=5)
    assert client.get_table("missing", "REALTIME") is None  # 200 {} means absent
    assert client.get_table("ev", "realtime") == {"tableName": "ev_REALTIME"}


def test_client_error_names_url_status_and_a_short_body(stand_in):
    client = pc.PinotClient(stand_in, timeout=5)
    with pytest.raises(pc.PinotError) as err:
        client.delete_schema("used")
    assert err.value.status == 409
    message = str(err.value)
    assert message.startswith("DELETE %sschemas/used answered HTTP 409: Cannot delete schema used" % stand_in)
    assert len(message) < 600 and message.endswith("...")


def test_client_query_raises_on_exceptions_array(stand_in):
    client = pc.PinotClient(stand_in, timeout=5)
    with pytest.raises(pc.PinotError, match=r"query 'SELECT 1 FROM nope' failed on .*TableDoesNotExistError \(code 190\)"):
        client.query("SELECT 1 FROM nope")


def test_client_unreachable_and_bad_url():
    with pytest.raises(pc.PinotError, match=r"GET http://127.0.0.1:9/schemas/x failed: .*refused"):
        pc.PinotClient("http://127.0.0.1:9", timeout=2).get_schema("x")
    with pytest.raises(pc.PinotError, match="must start with http:// or https://"):
        pc.PinotClient("127.0.0.1:9000")


@pytest.fixture(scope="module")
def tls_stand_in(tmp_path_factory):
    """The stand-in behind HTTPS with a self-signed certificate for 127.0.0.1 (made with
    cryptography, which ansible-core requires: no openssl binary needed)."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "https://127.0.0.1:%d/prefix/proxy" % server.server_port, str(cert)
    server.shutdown()
    server.server_close()


def test_client_https_with_ca_path_or_without_verification(tls_stand_in):
    url, ca_file = tls_stand_in
    assert pc.PinotClient(url, ca_path=ca_file, timeout=5).get_schema("ok") == {"schemaName": "ok"}
    assert pc.PinotClient(url, validate_certs=False, timeout=5).get_schema("ok") == {"schemaName": "ok"}
    with pytest.raises(pc.PinotError, match=r"GET https://127.0.0.1:\d+/prefix/proxy/schemas/ok failed: .*CERTIFICATE_VERIFY_FAILED"):
        pc.PinotClient(url, timeout=5).get_schema("ok")
