"""streamstack Flink job: raw events -> processed events + dead letters.

PyFlink Table API / SQL only (no Python UDFs, so no Python worker runs at
record time). One StatementSet with two INSERTs:

* every record of the raw topic whose value passes the validity rules is
  written to the processed topic as JSON
  ``{"event_id", "user_id", "event_type", "amount", "ts", "processed_at"}``;
* every other record goes to the dead-letter topic with its value unchanged
  (the source reads the value as BYTES with the ``raw`` format, which never
  fails to deserialize).

Settings (see README.md for the table): on Amazon Managed Service for Apache
Flink from the runtime properties file ``/etc/flink/application_properties.json``
(property group ``streamstack.job``); elsewhere from the JSON file named by
``STREAMSTACK_FLINK_PROPERTIES`` (same format) and/or ``STREAMSTACK_*``
environment variables, which win over the file.

Runs on Flink 2.2 (MSF runtime FLINK-2_2, PyPI apache-flink 2.2.1) with
``flink-sql-connector-kafka`` 5.0.0-2.2. Everything above ``main()`` uses the
standard library only, so it can be imported and tested without PyFlink.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import sys

__version__ = "1.0.0"

MSF_PROPERTIES_PATH = "/etc/flink/application_properties.json"
PROPERTY_GROUP = "streamstack.job"
PROPERTIES_ENV = "STREAMSTACK_FLINK_PROPERTIES"
ENV_PREFIX = "STREAMSTACK_"

# The SQL connector jar relocates kafka-clients under this package: class
# names given to the Kafka client (login modules, callback handlers) must use it.
SHADED_KAFKA_PREFIX = "org.apache.flink.kafka.shaded."

# key -> (default, description). None default = required.
SETTINGS = {
    "bootstrap.servers": (None, "Kafka bootstrap servers, host:port[,host:port...]"),
    "topic.raw": (None, "topic the raw events are read from"),
    "topic.processed": (None, "topic valid events are written to (JSON)"),
    "topic.dead-letter": (None, "topic invalid events are written to (original bytes)"),
    "group.id": ("streamstack-flink", "consumer group id (offsets are committed on checkpoints)"),
    "startup.mode": ("group-offsets", "group-offsets | earliest-offset | latest-offset | timestamp"),
    "startup.timestamp-millis": ("", "epoch ms to start from when startup.mode=timestamp"),
    "auto.offset.reset": ("earliest", "where group-offsets starts when the group has no offsets: earliest | latest"),
    "security.protocol": ("PLAINTEXT", "PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL"),
    "sasl.mechanism": ("", "e.g. SCRAM-SHA-512, PLAIN (AWS_MSK_IAM: see README)"),
    "sasl.jaas.config": ("", "JAAS line; org.apache.kafka.* class names are rewritten to the shaded ones"),
    "sasl.client.callback.handler.class": ("", "client callback handler class (shaded name rewritten as above)"),
    "parallelism": ("", "job parallelism; empty = the runtime's default (on MSF: the application's setting)"),
    "sink.delivery-guarantee": ("at-least-once", "none | at-least-once | exactly-once (needs checkpoints and a prefix)"),
    "sink.transactional-id-prefix": ("", "required for exactly-once; unique per application"),
    "checkpoint.interval.ms": ("10000", "local runs only (MSF sets checkpointing in its own configuration)"),
    "local.rest.port": ("", "local runs only: serve the Flink REST API/web UI on this 127.0.0.1 port"),
    "local.savepoint.path": ("", "local runs only: start from this savepoint (written by stop-with-savepoint)"),
    "local.savepoint.dir": ("", "local runs only: default directory for savepoints and checkpoints"),
}
# Any further key "kafka.<name>" is passed to both Kafka clients as property <name>
# (e.g. kafka.ssl.truststore.location, kafka.client.dns.lookup).
PASSTHROUGH_PREFIX = "kafka."

STARTUP_MODES = ("group-offsets", "earliest-offset", "latest-offset", "timestamp")
DELIVERY_GUARANTEES = ("none", "at-least-once", "exactly-once")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
EVENT_TYPES = ("click", "view", "purchase")
# processed_at = PROCESSED_AT_BASE + whole seconds since it (TIMESTAMPDIFF returns INT:
# counting from 2023-11-14 keeps it in range until 2091) + the millisecond part.
PROCESSED_AT_BASE_MS = 1700000000000

LOG = logging.getLogger("streamstack.flink")


class SettingsError(ValueError):
    """The job's settings are missing or inconsistent."""


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def env_name(key):
    """Environment variable for a settings key: STREAMSTACK_ + upper case, '.'/'-' -> '_'."""
    return ENV_PREFIX + key.upper().replace(".", "_").replace("-", "_")


def read_property_groups(path):
    """{group id: {key: value}} from an MSF-style properties file.

    Accepts the MSF shape (a list of ``{"PropertyGroupId", "PropertyMap"}``),
    the same under ``{"PropertyGroups": [...]}`` or ``{"EnvironmentProperties":
    {"PropertyGroupDescriptions": [...]}}`` (as boto3 takes it), or a plain
    ``{group id: {key: value}}`` object.
    """
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, dict) and "EnvironmentProperties" in data:
        data = data["EnvironmentProperties"].get("PropertyGroupDescriptions", [])
    elif isinstance(data, dict) and "PropertyGroups" in data:
        data = data["PropertyGroups"]
    groups = {}
    if isinstance(data, list):
        for group in data:
            groups[group["PropertyGroupId"]] = dict(group.get("PropertyMap") or {})
    elif isinstance(data, dict):
        for name, values in data.items():
            if not isinstance(values, dict):
                raise SettingsError("%s: group %r is not an object" % (path, name))
            groups[name] = dict(values)
    else:
        raise SettingsError("%s: expected a list of property groups or an object" % path)
    return groups


def load_settings(environ=None, msf_path=MSF_PROPERTIES_PATH):
    """The job settings and where they came from: ``(settings, on_msf, sources)``.

    On MSF (``msf_path`` exists) only that file counts. Elsewhere: defaults,
    then the file named by STREAMSTACK_FLINK_PROPERTIES, then STREAMSTACK_*
    environment variables (``kafka.*`` passthrough keys from the environment:
    STREAMSTACK_KAFKA__<NAME> with '__' for '.', e.g.
    STREAMSTACK_KAFKA__SSL__TRUSTSTORE__LOCATION).
    """
    environ = os.environ if environ is None else environ
    settings = {key: default for key, (default, _) in SETTINGS.items() if default is not None}
    sources = []
    on_msf = bool(msf_path) and os.path.isfile(msf_path)
    if on_msf:
        settings.update(_group(read_property_groups(msf_path), msf_path))
        sources.append(msf_path)
    else:
        path = environ.get(PROPERTIES_ENV)
        if path:
            settings.update(_group(read_property_groups(path), path))
            sources.append(path)
        from_env = {}
        for key in SETTINGS:
            if env_name(key) in environ:
                from_env[key] = environ[env_name(key)]
        passthrough = ENV_PREFIX + "KAFKA__"
        for name, value in environ.items():
            if name.startswith(passthrough) and len(name) > len(passthrough):
                from_env[PASSTHROUGH_PREFIX + name[len(passthrough):].lower().replace("__", ".")] = value
        if from_env:
            settings.update(from_env)
            sources.append("environment")
    settings = {k: ("" if v is None else str(v).strip()) for k, v in settings.items()}
    validate(settings)
    return settings, on_msf, sources


def _group(groups, path):
    if PROPERTY_GROUP not in groups:
        raise SettingsError(
            "%s has no property group %r (groups: %s)" % (path, PROPERTY_GROUP, ", ".join(sorted(groups)) or "none")
        )
    return groups[PROPERTY_GROUP]


def validate(settings):
    unknown = sorted(k for k in settings if k not in SETTINGS and not k.startswith(PASSTHROUGH_PREFIX))
    if unknown:
        raise SettingsError("unknown setting(s): %s (known: %s, and kafka.*)" % (", ".join(unknown), ", ".join(SETTINGS)))
    missing = [k for k, (default, _) in SETTINGS.items() if default is None and not settings.get(k)]
    if missing:
        raise SettingsError(
            "missing setting(s): %s (property group %r on MSF; locally %s or %s)"
            % (", ".join(missing), PROPERTY_GROUP, PROPERTIES_ENV, ", ".join(env_name(k) for k in missing))
        )
    topics = [settings["topic.raw"], settings["topic.processed"], settings["topic.dead-letter"]]
    if len(set(topics)) != 3:
        raise SettingsError("topic.raw, topic.processed and topic.dead-letter must differ: %s" % topics)
    _choice(settings, "startup.mode", STARTUP_MODES)
    _choice(settings, "auto.offset.reset", ("earliest", "latest"))
    _choice(settings, "security.protocol", SECURITY_PROTOCOLS)
    _choice(settings, "sink.delivery-guarantee", DELIVERY_GUARANTEES)
    if settings["startup.mode"] == "timestamp" and not settings.get("startup.timestamp-millis", "").isdigit():
        raise SettingsError("startup.mode=timestamp needs startup.timestamp-millis (epoch ms)")
    if settings["sink.delivery-guarantee"] == "exactly-once" and not settings.get("sink.transactional-id-prefix"):
        raise SettingsError("sink.delivery-guarantee=exactly-once needs sink.transactional-id-prefix")
    for key in ("parallelism", "checkpoint.interval.ms", "local.rest.port"):
        value = settings.get(key, "")
        if value and (not value.isdigit() or int(value) < (0 if key == "checkpoint.interval.ms" else 1)):
            raise SettingsError("%s must be a positive integer, got %r" % (key, value))
    if settings.get("sasl.mechanism", "").upper() == "AWS_MSK_IAM" or "software.amazon.msk" in settings.get(
        "sasl.jaas.config", ""
    ) + settings.get("sasl.client.callback.handler.class", ""):
        raise SettingsError(
            "MSK IAM authentication is not available: flink-sql-connector-kafka does not contain "
            "aws-msk-iam-auth, and its kafka-clients are relocated (%s...), so the stock "
            "aws-msk-iam-auth jar cannot plug into it. Use the TLS (9094) or SASL/SCRAM (9096) "
            "listener; see README.md" % SHADED_KAFKA_PREFIX
        )


def _choice(settings, key, allowed):
    if settings.get(key) not in allowed:
        raise SettingsError("%s must be one of %s, got %r" % (key, ", ".join(allowed), settings.get(key)))


def shade_class_names(value):
    """Rewrite kafka-clients class names to the connector's relocated package."""
    return value.replace(SHADED_KAFKA_PREFIX + "org.apache.kafka.", "\0").replace(
        "org.apache.kafka.", SHADED_KAFKA_PREFIX + "org.apache.kafka."
    ).replace("\0", SHADED_KAFKA_PREFIX + "org.apache.kafka.")


def kafka_client_properties(settings):
    """Kafka client properties shared by source and sinks (without the 'properties.' prefix)."""
    props = {"bootstrap.servers": settings["bootstrap.servers"], "security.protocol": settings["security.protocol"]}
    for key in ("sasl.mechanism", "sasl.jaas.config", "sasl.client.callback.handler.class"):
        if settings.get(key):
            props[key] = shade_class_names(settings[key]) if key != "sasl.mechanism" else settings[key]
    for key, value in settings.items():
        if key.startswith(PASSTHROUGH_PREFIX):
            props[key[len(PASSTHROUGH_PREFIX):]] = value
    return props


# --------------------------------------------------------------------------
# SQL
# --------------------------------------------------------------------------


def sql_literal(value):
    return "'" + str(value).replace("'", "''") + "'"


def _with(options):
    return ",\n  ".join("%s = %s" % (sql_literal(k), sql_literal(v)) for k, v in options.items())


def source_options(settings):
    opts = {
        "connector": "kafka",
        "topic": settings["topic.raw"],
        "properties.group.id": settings["group.id"],
        "scan.startup.mode": settings["startup.mode"],
        "value.format": "raw",
    }
    if settings["startup.mode"] == "timestamp":
        opts["scan.startup.timestamp-millis"] = settings["startup.timestamp-millis"]
    if settings["startup.mode"] == "group-offsets":
        opts["properties.auto.offset.reset"] = settings["auto.offset.reset"]
    for key, value in kafka_client_properties(settings).items():
        opts["properties." + key] = value
    return opts


def sink_options(settings, topic, value_format, suffix):
    opts = {
        "connector": "kafka",
        "topic": topic,
        "value.format": value_format,
        "sink.delivery-guarantee": settings["sink.delivery-guarantee"],
    }
    if settings["sink.delivery-guarantee"] == "exactly-once":
        opts["sink.transactional-id-prefix"] = settings["sink.transactional-id-prefix"] + "-" + suffix
    for key, value in kafka_client_properties(settings).items():
        opts["properties." + key] = value
    return opts


# Validity, decided in SQL only (see README.md, "Validity rules"). `w_*` are the
# values wrapped in a JSON array (`["x"]` for a string, `[12.5]` for a number,
# NULL when the member is absent or JSON null) to tell JSON types apart, since
# JSON_VALUE returns every scalar as text.
PARSED_VIEW = """
CREATE TEMPORARY VIEW parsed AS
SELECT
  `value` AS raw_value,
  body,
  -- CAST(BYTES AS STRING) decodes UTF-8 replacing bad sequences: encoding the
  -- text again gives the original bytes only if they were valid UTF-8.
  body IS NOT NULL AND CAST(body AS BYTES) = `value` AND body IS JSON OBJECT AS is_object,
  JSON_VALUE(body, '$.event_id') AS event_id,
  JSON_QUERY(body, '$.event_id' WITH UNCONDITIONAL ARRAY WRAPPER) AS w_event_id,
  JSON_VALUE(body, '$.user_id') AS user_id,
  JSON_QUERY(body, '$.user_id' WITH UNCONDITIONAL ARRAY WRAPPER) AS w_user_id,
  JSON_VALUE(body, '$.event_type') AS event_type,
  JSON_QUERY(body, '$.event_type' WITH UNCONDITIONAL ARRAY WRAPPER) AS w_event_type,
  JSON_VALUE(body, '$.ts') AS ts_text,
  JSON_QUERY(body, '$.ts' WITH UNCONDITIONAL ARRAY WRAPPER) AS w_ts,
  TRY_CAST(JSON_VALUE(body, '$.amount') AS DOUBLE) AS amount_value,
  JSON_QUERY(body, '$.amount' WITH UNCONDITIONAL ARRAY WRAPPER) AS w_amount
FROM (SELECT `value`, CAST(`value` AS STRING) AS body FROM raw_events)
"""

CLASSIFIED_VIEW = """
CREATE TEMPORARY VIEW classified AS
SELECT
  raw_value, event_id, user_id, event_type,
  CASE WHEN w_amount IS NULL THEN CAST(0.0 AS DOUBLE) ELSE amount_value END AS amount,
  TRY_CAST(ts_text AS BIGINT) AS ts,
  COALESCE(
    is_object
    AND w_event_id LIKE '["%' AND CHAR_LENGTH(event_id) > 0
    AND w_user_id LIKE '["%' AND CHAR_LENGTH(user_id) > 0
    AND w_event_type LIKE '["%' AND event_type IN ('click', 'view', 'purchase')
    AND w_ts NOT LIKE '["%' AND REGEXP(ts_text, '^[1-9][0-9]{0,18}$') AND TRY_CAST(ts_text AS BIGINT) IS NOT NULL
    AND (
      w_amount IS NULL
      OR (w_amount NOT LIKE '["%' AND amount_value >= 0 AND amount_value <= CAST(1.7976931348623157E308 AS DOUBLE))
    )
    AND (event_type <> 'purchase' OR (w_amount IS NOT NULL AND amount_value > 0)),
    FALSE
  ) AS is_valid
FROM parsed
"""

PROCESSED_AT_SQL = (
    "CAST(%d AS BIGINT)"
    " + CAST(TIMESTAMPDIFF(SECOND, TO_TIMESTAMP_LTZ(%d, 3), CURRENT_TIMESTAMP) AS BIGINT) * 1000"
    " + EXTRACT(MILLISECOND FROM CURRENT_TIMESTAMP)" % (PROCESSED_AT_BASE_MS, PROCESSED_AT_BASE_MS)
)

INSERT_PROCESSED = """
INSERT INTO processed_events
SELECT event_id, user_id, event_type, amount, ts, %s AS processed_at
FROM classified WHERE is_valid
""" % PROCESSED_AT_SQL

INSERT_DEAD_LETTER = """
INSERT INTO dead_letter_events
SELECT raw_value FROM classified WHERE NOT is_valid
"""


def ddl(settings):
    """The three CREATE TABLE statements, in order: source, processed sink, dead-letter sink."""
    return [
        "CREATE TEMPORARY TABLE raw_events (\n  `value` BYTES\n) WITH (\n  %s\n)" % _with(source_options(settings)),
        "CREATE TEMPORARY TABLE processed_events (\n"
        "  event_id STRING,\n  user_id STRING,\n  event_type STRING,\n  amount DOUBLE,\n"
        "  ts BIGINT,\n  processed_at BIGINT\n) WITH (\n  %s\n)"
        % _with(sink_options(settings, settings["topic.processed"], "json", "processed")),
        "CREATE TEMPORARY TABLE dead_letter_events (\n  `value` BYTES\n) WITH (\n  %s\n)"
        % _with(sink_options(settings, settings["topic.dead-letter"], "raw", "dead-letter")),
    ]


def redact(statement):
    """A statement safe to log: values of secret-looking options replaced."""
    lines = []
    for line in statement.splitlines():
        lowered = line.lower()
        if any(word in lowered for word in ("jaas", "password", "secret", "token")) and "=" in line:
            line = line.split("=", 1)[0] + "= '<redacted>',"
        lines.append(line)
    return "\n".join(lines)


def local_jars(job_dir):
    """Connector jars shipped next to the job (lib/*.jar in the MSF zip)."""
    return sorted(glob.glob(os.path.join(job_dir, "lib", "*.jar")))


# --------------------------------------------------------------------------
# Job
# --------------------------------------------------------------------------


def build(settings, on_msf, job_dir):
    """Create the TableEnvironment and the StatementSet (not executed)."""
    from pyflink.table import EnvironmentSettings, TableEnvironment

    table_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = table_env.get_config()
    config.set("pipeline.name", "streamstack-events-%s" % __version__)
    if settings.get("parallelism"):
        config.set("parallelism.default", settings["parallelism"])
    if not on_msf:
        # On MSF the zip's jarfile property puts the connector on the class path,
        # and checkpointing comes from the application's configuration.
        jars = local_jars(job_dir)
        if jars:
            config.set("pipeline.jars", ";".join("file://" + os.path.abspath(j) for j in jars))
        interval = settings.get("checkpoint.interval.ms", "")
        if interval and int(interval) > 0:
            config.set("execution.checkpointing.interval", interval + " ms")
        if settings.get("local.rest.port"):
            config.set("rest.bind-address", "127.0.0.1")
            config.set("rest.address", "127.0.0.1")
            config.set("rest.bind-port", settings["local.rest.port"])
            config.set("rest.port", settings["local.rest.port"])
        if settings.get("local.savepoint.dir"):
            base = "file://" + os.path.abspath(settings["local.savepoint.dir"])
            config.set("execution.checkpointing.savepoint-dir", base + "/savepoints")
            config.set("execution.checkpointing.dir", base + "/checkpoints")
        if settings.get("local.savepoint.path"):
            # Resume exactly where a stop-with-savepoint left off: no record twice.
            config.set("execution.state-recovery.path", settings["local.savepoint.path"])
    for statement in ddl(settings) + [PARSED_VIEW, CLASSIFIED_VIEW]:
        LOG.info("executing:\n%s", redact(statement))
        table_env.execute_sql(statement)
    statements = table_env.create_statement_set()
    statements.add_insert_sql(INSERT_PROCESSED)
    statements.add_insert_sql(INSERT_DEAD_LETTER)
    return table_env, statements


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    argv = sys.argv[1:] if argv is None else argv
    try:
        settings, on_msf, sources = load_settings()
    except (SettingsError, OSError, ValueError, KeyError) as exc:
        LOG.error("streamstack flink job: bad settings: %s", exc)
        return 2
    LOG.info(
        "streamstack flink job %s: settings from %s (%s); raw=%s processed=%s dead-letter=%s",
        __version__,
        ", ".join(sources) or "defaults only",
        "MSF" if on_msf else "local",
        settings["topic.raw"],
        settings["topic.processed"],
        settings["topic.dead-letter"],
    )
    job_dir = os.path.dirname(os.path.abspath(__file__))
    _, statements = build(settings, on_msf, job_dir)
    if "--explain" in argv:
        print(statements.explain())
        return 0
    result = statements.execute()
    client = result.get_job_client()
    LOG.info("submitted job %s", client.get_job_id() if client else "?")
    if not on_msf:
        # Locally (MiniCluster) the process must outlive the job; on MSF the
        # service runs the job after main() returns.
        result.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
