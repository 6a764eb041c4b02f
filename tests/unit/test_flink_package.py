"""files/flink/package.py (the MSF zip) and the job's settings loader (files/flink/job/main.py).

The zip needs the connector jar: from the jar cache, resolved by Maven on
first use (scripts/setup_flink.sh does that too); these tests pass a small
stand-in jar instead when Maven is absent, so the layout is checked anyway.
main.py is imported without PyFlink: everything but ``build``/``main`` is
standard library.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import stat
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FLINK_DIR = REPO / "files" / "flink"
sys.path.insert(0, str(FLINK_DIR))

import package  # noqa: E402


def _load_job():
    spec = importlib.util.spec_from_file_location("streamstack_flink_job", FLINK_DIR / "job" / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


job = _load_job()


@pytest.fixture(scope="module")
def jar(tmp_path_factory):
    """The real connector jar when Maven can resolve it, else a stand-in with the same name."""
    if shutil.which("mvn"):
        return package.connector_jar()
    fake = tmp_path_factory.mktemp("jar") / "flink-sql-connector-kafka-5.0.0-2.2.jar"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    return str(fake)


@pytest.fixture(scope="module")
def builds(tmp_path_factory, jar):
    first = package.build(out_dir=str(tmp_path_factory.mktemp("dist1")), jar=jar)
    second = package.build(out_dir=str(tmp_path_factory.mktemp("dist2")), jar=jar)
    return first, second


def test_two_builds_are_byte_identical(builds):
    first, second = builds
    a, b = Path(first["zip_path"]).read_bytes(), Path(second["zip_path"]).read_bytes()
    assert a == b
    assert Path(first["manifest_path"]).read_bytes() == Path(second["manifest_path"]).read_bytes()
    assert first["sha256"] == hashlib.sha256(a).hexdigest() and first["size"] == len(a)


def test_manifest_names_files_that_are_in_the_zip(builds, jar):
    built, _ = builds
    manifest = json.loads(Path(built["manifest_path"]).read_text())
    assert Path(built["zip_path"]).name == "streamstack-flink-%s.zip" % job.__version__
    assert manifest["runtime_environment"] == "FLINK-2_2"
    options = manifest["run_options"]
    assert options["PropertyGroupId"] == "kinesis.analytics.flink.run.options"
    assert set(options["PropertyMap"]) == {"python", "jarfile"}
    with zipfile.ZipFile(built["zip_path"]) as archive:
        names = archive.namelist()
        assert options["PropertyMap"]["python"] in names
        assert options["PropertyMap"]["jarfile"] in names
        assert options["PropertyMap"]["jarfile"] == "lib/flink-sql-connector-kafka-5.0.0-2.2.jar"
        assert archive.read(options["PropertyMap"]["jarfile"]) == Path(jar).read_bytes()
        source = archive.read(options["PropertyMap"]["python"]).decode("utf-8")
        compile(source, options["PropertyMap"]["python"], "exec")
        assert names == sorted(names) == manifest["entries"]
        assert not any("__pycache__" in n or n.endswith(".pyc") or n.endswith("/") for n in names)
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert stat.S_IMODE(info.external_attr >> 16) == 0o644
            assert info.create_system == 3


def test_job_main_script_compiles():
    compile((FLINK_DIR / "job" / "main.py").read_text(), "main.py", "exec")


def test_pom_pins_the_connector():
    import xml.etree.ElementTree as ET

    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(FLINK_DIR / "pom.xml").getroot()
    assert root.find("m:properties/m:flink-sql-connector-kafka.version", ns).text == "5.0.0-2.2"


# --------------------------------------------------------------------------
# settings (main.py)
# --------------------------------------------------------------------------

REQUIRED = {
    "bootstrap.servers": "b:9094",
    "topic.raw": "raw",
    "topic.processed": "processed",
    "topic.dead-letter": "dlq",
}


def _msf_file(tmp_path, props, group="streamstack.job"):
    path = tmp_path / "application_properties.json"
    path.write_text(json.dumps([{"PropertyGroupId": group, "PropertyMap": props}]))
    return str(path)


def test_msf_file_wins_and_environment_is_ignored_there(tmp_path):
    path = _msf_file(tmp_path, dict(REQUIRED, parallelism="2"))
    settings, on_msf, sources = job.load_settings({"STREAMSTACK_TOPIC_RAW": "other"}, msf_path=path)
    assert on_msf and sources == [path]
    assert settings["topic.raw"] == "raw" and settings["parallelism"] == "2"
    assert settings["startup.mode"] == "group-offsets" and settings["security.protocol"] == "PLAINTEXT"


def test_local_file_then_environment(tmp_path):
    path = _msf_file(tmp_path, REQUIRED)
    environ = {
        "STREAMSTACK_FLINK_PROPERTIES": path,
        "STREAMSTACK_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "STREAMSTACK_SINK_DELIVERY_GUARANTEE": "none",
        "STREAMSTACK_KAFKA__SSL__TRUSTSTORE__LOCATION": "/tmp/ts.jks",
    }
    settings, on_msf, sources = job.load_settings(environ, msf_path=str(tmp_path / "absent.json"))
    assert not on_msf and sources == [path, "environment"]
    assert settings["bootstrap.servers"] == "127.0.0.1:9092" and settings["topic.raw"] == "raw"
    assert settings["sink.delivery-guarantee"] == "none"
    assert job.kafka_client_properties(settings)["ssl.truststore.location"] == "/tmp/ts.jks"


def test_environment_alone(tmp_path):
    environ = {job.env_name(k): v for k, v in REQUIRED.items()}
    settings, _, sources = job.load_settings(environ, msf_path=str(tmp_path / "absent.json"))
    assert sources == ["environment"] and settings["topic.dead-letter"] == "dlq"


@pytest.mark.parametrize(
    "change,message",
    [
        ({"topic.raw": ""}, "missing setting"),
        ({"topic.processed": "raw"}, "must differ"),
        ({"startup.mode": "sometimes"}, "startup.mode"),
        ({"startup.mode": "timestamp"}, "startup.timestamp-millis"),
        ({"sink.delivery-guarantee": "exactly-once"}, "transactional-id-prefix"),
        ({"parallelism": "0"}, "parallelism"),
        ({"no.such.key": "x"}, "unknown setting"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "AWS_MSK_IAM"}, "MSK IAM"),
    ],
)
def test_bad_settings_are_refused(tmp_path, change, message):
    path = _msf_file(tmp_path, dict(REQUIRED, **change))
    with pytest.raises(job.SettingsError, match=message):
        job.load_settings({}, msf_path=path)


def test_missing_property_group_is_named(tmp_path):
    path = _msf_file(tmp_path, REQUIRED, group="other")
    with pytest.raises(job.SettingsError, match="streamstack.job"):
        job.load_settings({}, msf_path=path)


def test_ddl_carries_settings_and_shades_sasl_classes(tmp_path):
    jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="it\'s";'
    props = dict(
        REQUIRED, **{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": jaas}
    )
    settings, _, _ = job.load_settings({}, msf_path=_msf_file(tmp_path, props))
    source, processed, dead = job.ddl(settings)
    assert "'topic' = 'raw'" in source and "'value.format' = 'raw'" in source
    assert "'properties.auto.offset.reset' = 'earliest'" in source
    assert "'properties.security.protocol' = 'SASL_SSL'" in processed
    assert "org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule" in dead
    assert "password=\"it''s\"" in source  # quotes doubled inside the SQL literal
    assert "'value.format' = 'json'" in processed and "'topic' = 'processed'" in processed
    assert "'value.format' = 'raw'" in dead and "'topic' = 'dlq'" in dead
    assert "it''s" not in job.redact(source)
    # already shaded names are left alone
    shaded = job.SHADED_KAFKA_PREFIX + "org.apache.kafka.common.security.plain.PlainLoginModule required;"
    assert job.shade_class_names(shaded) == shaded


def test_sql_avoids_json_value_returning_double():
    """FLINK-40463: JSON_VALUE(... RETURNING DOUBLE) kills the job; TRY_CAST instead."""
    sql = job.PARSED_VIEW + job.CLASSIFIED_VIEW + job.INSERT_PROCESSED + job.INSERT_DEAD_LETTER
    assert "RETURNING" not in sql.upper()
    assert "TRY_CAST(JSON_VALUE(body, '$.amount') AS DOUBLE)" in sql
