# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kafka topics for the kafka_topic and kafka_topic_info modules.

Three layers:

* pure functions (no I/O): ``normalize_config``, ``validate_change``,
  ``plan_topic``, ``planned_topic``, ``compare_expected``; unit-tested in
  tests/unit/test_kafka_admin.py;
* ``KafkaAdminBackend``: Kafka's own admin protocol through
  ``confluent_kafka.admin.AdminClient`` (bootstrap servers, PLAINTEXT / SSL /
  SASL_PLAINTEXT / SASL_SSL with PLAIN or SCRAM);
* ``MskTopicBackend``: Amazon MSK's native topic API (boto3 ``kafka`` client
  and a cluster ARN: CreateTopic, DescribeTopic, ListTopics, UpdateTopic,
  DeleteTopic), which needs no network path to the brokers.

Both backends answer ``describe(names)`` with
``{name: {"name", "partitions", "replication_factor", "config", "effective_config"}}``
(absent topics are simply missing from the answer) and offer ``list_names``,
``create``, ``add_partitions``, ``alter_config`` and ``delete``. Failures
raise ``KafkaTopicError`` with a message meant for a user; modules turn it into
``fail_json``.

``config`` is what was set on the topic itself (Kafka: entries whose source is
DYNAMIC_TOPIC_CONFIG; MSK: what DescribeTopic returns) and
``effective_config`` every value in force (defaults included).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time

try:
    from confluent_kafka import KafkaException, TopicCollection
    from confluent_kafka.admin import (
        AdminClient,
        AlterConfigOpType,
        ConfigEntry,
        ConfigResource,
        ConfigSource,
        NewPartitions,
        NewTopic,
        ResourceType,
    )

    HAS_CONFLUENT_KAFKA = True
    CONFLUENT_KAFKA_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module with missing_required_lib
    HAS_CONFLUENT_KAFKA = False
    CONFLUENT_KAFKA_IMPORT_ERROR = exc

try:
    import botocore
except ImportError:
    botocore = None  # AnsibleAWSModule / the module report it

RF_CHANGE_MESSAGE = (
    "Kafka cannot change a topic's replication factor in place; "
    "recreate the topic or use kafka-reassign-partitions"
)

# Options shared by kafka_topic and kafka_topic_info (documented in each module).
CONNECTION_ARGS = dict(
    bootstrap_servers=dict(type="list", elements="str"),
    security_protocol=dict(
        type="str", default="PLAINTEXT", choices=["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
    ),
    sasl_mechanism=dict(type="str", choices=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
    sasl_username=dict(type="str"),
    sasl_password=dict(type="str", no_log=True),
    ssl_ca_location=dict(type="path"),
    ssl_certificate_location=dict(type="path"),
    ssl_key_location=dict(type="path"),
    ssl_key_password=dict(type="str", no_log=True),
    request_timeout=dict(type="int", default=30),
    cluster_arn=dict(type="str"),
    wait_timeout=dict(type="int", default=300),
)
CONNECTION_MUTUALLY_EXCLUSIVE = [("bootstrap_servers", "cluster_arn")]
CONNECTION_REQUIRED_ONE_OF = [("bootstrap_servers", "cluster_arn")]
CONNECTION_REQUIRED_IF = [
    ("security_protocol", "SASL_SSL", ("sasl_mechanism", "sasl_username", "sasl_password")),
    ("security_protocol", "SASL_PLAINTEXT", ("sasl_mechanism", "sasl_username", "sasl_password")),
]


class KafkaTopicError(Exception):
    """A failure to report to the user as is (no traceback)."""

    def __init__(self, message, changed=False):
        super().__init__(message)
        self.changed = changed


# --------------------------------------------------------------- pure functions
def normalize_config(config):
    """Topic configs as Kafka stores them: str -> str; booleans as true/false.

    YAML gives ints and booleans (``retention.ms: 86400000``,
    ``unclean.leader.election.enable: false``); Kafka wants strings, and
    ``str(False)`` would be ``"False"``. ``None`` stays ``None`` (not managed).
    """
    if config is None:
        return None
    out = {}
    for key, value in config.items():
        if value is None:
            raise KafkaTopicError(f"config {key!r} has no value; give one, or leave the key out"
                                  " (with purge_config=true to remove it)")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        out[str(key)] = str(value)
    return out


def validate_change(desired, actual):
    """Problems that make the desired topic impossible to reach from the actual one.

    ``desired``: {"name", "partitions" (int or None), "replication_factor" (int
    or None), ...}; ``actual``: the described topic or None. Returns a list of
    messages (empty when fine).
    """
    problems = []
    name = desired["name"]
    for key in ("partitions", "replication_factor"):
        value = desired.get(key)
        if value is not None and value < 1:
            problems.append(f"{key} must be at least 1 (got {value}) for topic {name}")
    if actual is None or problems:
        return problems
    if desired.get("partitions") is not None and desired["partitions"] < actual["partitions"]:
        problems.append(
            f"Topic {name} has {actual['partitions']} partitions; {desired['partitions']} asked. "
            "Kafka can only add partitions, never remove them (their messages would be lost and "
            "keys would map to other partitions); recreate the topic to have fewer"
        )
    if desired.get("replication_factor") is not None and desired["replication_factor"] != actual["replication_factor"]:
        problems.append(
            f"Topic {name} has replication factor {actual['replication_factor']}; "
            f"{desired['replication_factor']} asked. {RF_CHANGE_MESSAGE}"
        )
    return problems


def plan_topic(desired, actual, purge_config=False):
    """What to do to turn ``actual`` (or nothing) into ``desired``.

    Returns {"create": bool, "partitions": new total or None,
    "set": {key: value}, "remove": [keys]}. Call ``validate_change`` first:
    this function does not refuse anything.
    """
    config = desired.get("config")
    if actual is None:
        return {
            "create": True,
            "partitions": desired.get("partitions"),
            "replication_factor": desired.get("replication_factor"),
            "set": dict(config or {}),
            "remove": [],
        }
    current = actual.get("config") or {}
    to_set = {} if config is None else {k: v for k, v in config.items() if current.get(k) != v}
    to_remove = []
    if purge_config and config is not None:
        to_remove = sorted(k for k in current if k not in config)
    partitions = desired.get("partitions")
    return {
        "create": False,
        "partitions": partitions if partitions is not None and partitions > actual["partitions"] else None,
        "replication_factor": None,
        "set": to_set,
        "remove": to_remove,
    }


def plan_has_changes(plan):
    return bool(plan["create"] or plan["partitions"] is not None or plan["set"] or plan["remove"])


def public_topic(topic):
    """The fields modules return for a topic (no effective_config)."""
    if topic is None:
        return {}
    return {
        "name": topic["name"],
        "partitions": topic["partitions"],
        "replication_factor": topic["replication_factor"],
        "config": dict(sorted((topic.get("config") or {}).items())),
    }


def planned_topic(desired, actual, plan):
    """The topic as it will be once ``plan`` is applied (for check mode and diff).

    Partitions or replication factor left to the broker's defaults on create are
    ``None`` (unknown until the broker decides).
    """
    if plan["create"]:
        return {
            "name": desired["name"],
            "partitions": plan["partitions"],
            "replication_factor": plan["replication_factor"],
            "config": dict(sorted(plan["set"].items())),
        }
    after = public_topic(actual)
    if plan["partitions"] is not None:
        after["partitions"] = plan["partitions"]
    config = dict(after["config"])
    config.update(plan["set"])
    for key in plan["remove"]:
        config.pop(key, None)
    after["config"] = dict(sorted(config.items()))
    return after


def compare_expected(expected, actual):
    """Differences between an expected topic and the described one, as sentences.

    Only the fields given in ``expected`` are compared; config values are
    compared with the effective configuration (a value equal to the default
    counts as matching).
    """
    name = expected["name"]
    if actual is None:
        return [f"topic {name} does not exist"]
    problems = []
    for key in ("partitions", "replication_factor"):
        want = expected.get(key)
        if want is not None and actual[key] != want:
            problems.append(f"{key} is {actual[key]}, expected {want}")
    effective = actual.get("effective_config") or actual.get("config") or {}
    for key, want in sorted((normalize_config(expected.get("config")) or {}).items()):
        if key not in effective:
            problems.append(f"config {key} is not set, expected {want!r}")
        elif effective[key] != want:
            problems.append(f"config {key} is {effective[key]!r}, expected {want!r}")
    return problems


def is_internal(name):
    """Kafka's and MSK's internal topics (__consumer_offsets, __transaction_state, __amazon_msk_canary, ...)."""
    return name.startswith("__")


# ------------------------------------------------------------- Kafka protocol
class KafkaAdminBackend:
    """Topics through Kafka's admin protocol (confluent-kafka / librdkafka)."""

    name = "kafka"

    def __init__(self, bootstrap_servers, security_protocol="PLAINTEXT", sasl_mechanism=None,
                 sasl_username=None, sasl_password=None, ssl_ca_location=None,
                 ssl_certificate_location=None, ssl_key_location=None, ssl_key_password=None,
                 request_timeout=30, admin_client_factory=None):
        if isinstance(bootstrap_servers, (list, tuple)):
            bootstrap_servers = ",".join(bootstrap_servers)
        self.bootstrap_servers = bootstrap_servers
        self.timeout = float(request_timeout)
        self._log = []  # librdkafka's own log lines: the real cause of a connection failure
        conf = {
            "bootstrap.servers": bootstrap_servers,
            "security.protocol": security_protocol,
            "socket.timeout.ms": int(self.timeout * 1000),
            "socket.connection.setup.timeout.ms": int(self.timeout * 1000),
            "logger": _ListLogger(self._log),
        }
        if security_protocol.startswith("SASL_"):
            conf.update({"sasl.mechanism": sasl_mechanism, "sasl.username": sasl_username,
                         "sasl.password": sasl_password})
        optional = {
            "ssl.ca.location": ssl_ca_location,
            "ssl.certificate.location": ssl_certificate_location,
            "ssl.key.location": ssl_key_location,
            "ssl.key.password": ssl_key_password,
        }
        if security_protocol in ("SSL", "SASL_SSL"):
            conf.update({k: v for k, v in optional.items() if v})
        factory = admin_client_factory or AdminClient
        try:
            self.admin = factory(conf)
        except (KafkaException, ValueError, TypeError) as exc:
            raise KafkaTopicError(f"Invalid Kafka client settings: {_kafka_message(exc)}")

    # ---- helpers
    def _fail(self, what, exc, changed=False):
        message = f"{what}: {_kafka_message(exc)}"
        cause = self._log_excerpt()
        if cause:
            message += f" (client log: {cause})"
        raise KafkaTopicError(message, changed=changed)

    def _log_excerpt(self):
        try:
            self.admin.poll(0)  # librdkafka hands an admin client's log lines over on poll()
        except Exception:  # pylint: disable=broad-except  # best effort: the error itself is reported anyway
            pass
        lines = [line.split("]: ", 1)[-1] for line in self._log
                 if "fail" in line.lower() or "error" in line.lower()]
        return " | ".join(list(dict.fromkeys(lines))[-3:])

    def _submit(self, what, call, *args, **kwargs):
        """Start an admin request; librdkafka checks some arguments itself (ValueError, TypeError)."""
        try:
            return call(*args, **kwargs)
        except (KafkaException, ValueError, TypeError) as exc:
            self._fail(what, exc)

    def _wait(self, futures, what, changed=False):
        out = {}
        for key, future in futures.items():
            try:
                out[key] = future.result(timeout=self.timeout + 5)
            except KafkaException as exc:
                self._fail(f"{what} {_key_name(key)}", exc, changed=changed)
            except Exception as exc:  # concurrent.futures.TimeoutError and the like
                self._fail(f"{what} {_key_name(key)}", exc, changed=changed)
        return out

    def check_connection(self):
        """Fail fast, with the reason, when no broker answers within request_timeout."""
        try:
            self.admin.list_topics(timeout=self.timeout)
        except KafkaException as exc:
            self._fail(f"Cannot reach Kafka at {self.bootstrap_servers} within {self.timeout:g} s", exc)

    # ---- reading
    def list_names(self, include_internal=False):
        try:
            metadata = self.admin.list_topics(timeout=self.timeout)
        except KafkaException as exc:
            self._fail(f"Cannot list topics at {self.bootstrap_servers}", exc)
        return sorted(n for n in metadata.topics if include_internal or not is_internal(n))

    def describe(self, names):
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        found = {}
        futures = self._submit(f"Cannot describe topics {', '.join(names)}", lambda: self.admin.describe_topics(
            TopicCollection(names), request_timeout=self.timeout))
        for name, future in futures.items():
            try:
                description = future.result(timeout=self.timeout + 5)
            except KafkaException as exc:
                if exc.args and getattr(exc.args[0], "name", lambda: "")() == "UNKNOWN_TOPIC_OR_PART":
                    continue
                self._fail(f"Cannot describe topic {name}", exc)
            partitions = description.partitions
            found[name] = {
                "name": name,
                "partitions": len(partitions),
                "replication_factor": len(partitions[0].replicas) if partitions else 0,
                "internal": bool(description.is_internal),
            }
        if found:
            configs, unknown = self._topic_configs(list(found))
            for name in unknown:
                # Listed by Metadata, unknown to DescribeConfigs for seconds: being deleted (by
                # another client) or never finished. Reported absent, so deleting it is a no-op
                # and creating it gets the broker's own answer.
                found.pop(name)
            for resource, entries in configs.items():
                topic = found[resource.name]
                topic["effective_config"] = {k: e.value for k, e in entries.items() if e.value is not None}
                topic["config"] = {
                    k: e.value for k, e in entries.items()
                    if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value and e.value is not None
                }
        return found

    def _topic_configs(self, names, attempts=6):
        """({ConfigResource: entries}, [names still unknown]). Right after a topic is created,
        the broker that answers DescribeConfigs may not know it yet (its metadata lags the
        controller's in KRaft): UNKNOWN_TOPIC_OR_PART is retried, per topic, for about six
        seconds; any other error fails at once."""
        out, pending = {}, list(names)
        for attempt in range(attempts):
            futures = self._submit("Cannot read topic configurations", self.admin.describe_configs,
                                   [ConfigResource(ResourceType.TOPIC, n) for n in pending],
                                   request_timeout=self.timeout)
            pending = []
            for key, future in futures.items():
                try:
                    out[key] = future.result(timeout=self.timeout + 5)
                except KafkaException as exc:
                    if getattr(exc.args[0] if exc.args else None, "name", lambda: "")() != "UNKNOWN_TOPIC_OR_PART":
                        self._fail(f"Cannot read the configuration of topic {key.name}", exc)
                    pending.append(key.name)
                except Exception as exc:  # concurrent.futures.TimeoutError and the like
                    self._fail(f"Cannot read the configuration of topic {key.name}", exc)
            if not pending:
                break
            if attempt < attempts - 1:
                time.sleep(0.2 * 2 ** attempt)
        return out, pending

    def unknown_config_keys(self, topic, keys):
        """Keys Kafka does not know, judged by the full config list of an existing topic."""
        known = topic.get("effective_config") or {}
        return sorted(k for k in keys if known and k not in known)

    # ---- changing (validate_only: the broker checks the request and changes nothing)
    def create(self, name, partitions, replication_factor, config, validate_only=False):
        def call():
            new = NewTopic(name, num_partitions=partitions if partitions is not None else -1,
                           replication_factor=replication_factor if replication_factor is not None else -1,
                           config=dict(config or {}))
            return self.admin.create_topics([new], validate_only=validate_only, request_timeout=self.timeout,
                                            operation_timeout=self.timeout)
        self._wait(self._submit(f"Kafka refused to create topic {name}", call), "Kafka refused to create topic")

    def add_partitions(self, name, total, validate_only=False):
        def call():
            return self.admin.create_partitions([NewPartitions(name, total)], validate_only=validate_only,
                                                request_timeout=self.timeout, operation_timeout=self.timeout)
        self._wait(self._submit(f"Kafka refused to add partitions to topic {name}", call),
                   "Kafka refused to add partitions to topic")

    def alter_config(self, name, to_set, to_remove, desired=None, validate_only=False):
        if not to_set and not to_remove:
            return

        def call():
            entries = [ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET)
                       for k, v in sorted(to_set.items())]
            entries += [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in to_remove]
            resource = ConfigResource(ResourceType.TOPIC, name, incremental_configs=entries)
            return self.admin.incremental_alter_configs([resource], validate_only=validate_only,
                                                        request_timeout=self.timeout)
        self._wait(self._submit(f"Kafka refused the configuration of topic {name}", call),
                   "Kafka refused the configuration of topic")

    def delete(self, name):
        self._wait(self._submit(f"Kafka refused to delete topic {name}", self.admin.delete_topics, [name],
                                request_timeout=self.timeout, operation_timeout=self.timeout),
                   "Kafka refused to delete topic")

    def settle(self, name, check, timeout=None):
        """Describe ``name`` until ``check(topic_or_None)`` holds (metadata reaches every broker
        shortly after a change); return the last answer."""
        deadline = time.monotonic() + (timeout if timeout is not None else min(self.timeout, 15))
        while True:
            topic = self.describe([name]).get(name)
            if check(topic) or time.monotonic() > deadline:
                return topic
            time.sleep(0.2)

    def supports_validate_only(self):
        return True


class _ListLogger(logging.Logger):
    """A logging.Logger for librdkafka that keeps its lines instead of printing
    them to stderr (which would land in the module's output)."""

    def __init__(self, sink):
        super().__init__("streamstack.kafka_admin", logging.DEBUG)
        self.propagate = False
        self._sink = sink

    def handle(self, record):
        self._sink.append(record.getMessage())
        del self._sink[:-50]


def _kafka_message(exc):
    if isinstance(exc, KafkaException) and exc.args:
        err = exc.args[0]
        if hasattr(err, "str") and hasattr(err, "name"):
            return f"{err.str()} [{err.name()}]"
    return str(exc) or exc.__class__.__name__


def _key_name(key):
    return getattr(key, "name", key)


# --------------------------------------------------------------- MSK topic API
def encode_msk_configs(config):
    """MSK's ``Configs``: a JSON object of string values, base64-encoded (botocore
    types it as a plain string: the caller encodes)."""
    return base64.b64encode(json.dumps(dict(sorted(config.items()))).encode("utf-8")).decode("ascii")


def decode_msk_configs(blob):
    """Inverse of ``encode_msk_configs``. Also reads ``key=value`` lines (the
    format of the example in the MSK developer guide)."""
    if not blob:
        return {}
    try:
        text = base64.b64decode(blob, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise KafkaTopicError(f"MSK returned topic configs that are not base64: {blob[:60]!r}")
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise KafkaTopicError(f"MSK returned topic configs that are not JSON: {text[:60]!r}")
        return {str(k): _config_str(v) for k, v in data.items() if v is not None}
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def _config_str(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class MskTopicBackend:
    """Topics through Amazon MSK's native topic API (boto3 ``kafka`` client).

    MSK answers these calls from state that it refreshes about once a minute:
    after a change, ``describe`` may show the old state or NotFound for a while.
    Every change therefore polls DescribeTopic until it shows the result (at
    most ``wait_timeout`` seconds, every ``poll_interval``).
    """

    name = "msk"

    def __init__(self, client, cluster_arn, wait_timeout=300, poll_interval=5, sleep=time.sleep, retry=True):
        self.client = client
        self.cluster_arn = cluster_arn
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._retry = {"aws_retry": True} if retry else {}

    def _call(self, what, method, changed=False, **kwargs):
        try:
            return getattr(self.client, method)(ClusterArn=self.cluster_arn, **self._retry, **kwargs)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            message = error.get("Message") or str(exc)
            raise _MskError(f"{what}: {message} [{code}]", code, changed=changed)
        except botocore.exceptions.BotoCoreError as exc:
            raise KafkaTopicError(f"{what}: {exc}", changed=changed)

    def check_connection(self):
        self._call(f"Cannot list the topics of MSK cluster {self.cluster_arn}", "list_topics", MaxResults=1)

    def list_names(self, include_internal=False):
        names, token = [], None
        while True:
            extra = {"NextToken": token} if token else {}
            page = self._call(f"Cannot list the topics of MSK cluster {self.cluster_arn}", "list_topics", **extra)
            names += [t["TopicName"] for t in page.get("Topics", [])]
            token = page.get("NextToken")
            if not token:
                break
        return sorted(n for n in set(names) if include_internal or not is_internal(n))

    def _describe_one(self, name):
        try:
            raw = self._call(f"Cannot describe topic {name}", "describe_topic", TopicName=name)
        except _MskError as exc:
            if exc.code == "NotFoundException":
                return None
            raise
        config = decode_msk_configs(raw.get("Configs"))
        return {
            "name": name,
            "partitions": raw.get("PartitionCount"),
            "replication_factor": raw.get("ReplicationFactor"),
            "config": config,
            "effective_config": config,
            "status": raw.get("Status"),
            "arn": raw.get("TopicArn"),
        }

    def describe(self, names):
        out = {}
        for name in dict.fromkeys(names):
            topic = self._describe_one(name)
            if topic is not None:
                out[name] = topic
        return out

    def unknown_config_keys(self, topic, keys):
        return []  # MSK validates keys itself (its DescribeTopic may list only what was set)

    def _wait_for(self, name, check, what):
        deadline = time.monotonic() + self.wait_timeout
        while True:
            topic = self._describe_one(name)
            if check(topic):
                return topic
            if time.monotonic() >= deadline:
                state = "not found" if topic is None else f"status {topic.get('status')}, {topic.get('partitions')} partitions"
                raise KafkaTopicError(
                    f"MSK accepted the request but DescribeTopic has not shown {what} after "
                    f"{self.wait_timeout} s (last seen: {state}). MSK's topic API reflects changes about a "
                    "minute late; run again later or raise wait_timeout", changed=True)
            self._sleep(self.poll_interval)

    def create(self, name, partitions, replication_factor, config, validate_only=False):
        if partitions is None or replication_factor is None:
            raise KafkaTopicError(
                f"Creating topic {name} through the MSK API needs both partitions and replication_factor "
                "(MSK's CreateTopic has no broker-default option)")
        params = dict(TopicName=name, PartitionCount=partitions, ReplicationFactor=replication_factor)
        if config:
            params["Configs"] = encode_msk_configs(config)
        try:
            self._call(f"MSK refused to create topic {name}", "create_topic", **params)
        except _MskError as exc:
            # A previous run's create that DescribeTopic does not show yet (the API lags).
            if exc.code != "ConflictException":
                raise
        return self._wait_for(name, lambda t: t is not None and t.get("status") == "ACTIVE",
                              f"topic {name} ACTIVE")

    def add_partitions(self, name, total, validate_only=False):
        self._call(f"MSK refused to add partitions to topic {name}", "update_topic",
                   TopicName=name, PartitionCount=total)
        return self._wait_for(name, lambda t: t is not None and t.get("status") == "ACTIVE"
                              and t.get("partitions") == total, f"topic {name} ACTIVE with {total} partitions")

    def alter_config(self, name, to_set, to_remove, desired=None, validate_only=False):
        if to_remove:
            raise KafkaTopicError("Removing topic configs is not supported through the MSK API")
        if not to_set:
            return None
        # Send every desired key, not only the changed ones: whether UpdateTopic merges or
        # replaces, the topic then carries all of them.
        configs = dict(desired or {})
        configs.update(to_set)
        self._call(f"MSK refused the configuration of topic {name}", "update_topic",
                   TopicName=name, Configs=encode_msk_configs(configs))
        return self._wait_for(
            name,
            lambda t: t is not None and t.get("status") == "ACTIVE"
            and all(t["config"].get(k) == v for k, v in to_set.items()),
            f"topic {name} ACTIVE with the new configuration")

    def delete(self, name):
        try:
            self._call(f"MSK refused to delete topic {name}", "delete_topic", TopicName=name)
        except _MskError as exc:
            if exc.code != "NotFoundException":
                raise
        return self._wait_for(name, lambda t: t is None, f"topic {name} gone")

    def settle(self, name, check, timeout=None):
        return self._describe_one(name)

    def supports_validate_only(self):
        return False


class _MskError(KafkaTopicError):
    def __init__(self, message, code, changed=False):
        super().__init__(message, changed=changed)
        self.code = code


# ------------------------------------------------------------- module helpers
def msk_region(cluster_arn):
    """Region of an MSK ARN (arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID), or None."""
    parts = (cluster_arn or "").split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "kafka" and parts[3]:
        return parts[3]
    return None


def backend_from_module(module):
    """The backend a module's parameters ask for. Fails the module on a missing library."""
    from ansible.module_utils.basic import missing_required_lib

    params = module.params
    if params.get("request_timeout") is not None and params["request_timeout"] < 1:
        module.fail_json(msg=f"request_timeout must be at least 1 second (got {params['request_timeout']})")
    if params.get("cluster_arn"):
        if botocore is None:
            module.fail_json(msg=missing_required_lib("boto3 and botocore"))
        from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

        if msk_region(params["cluster_arn"]) is None:
            module.fail_json(msg=f"cluster_arn {params['cluster_arn']!r} is not an MSK cluster ARN "
                                 "(arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID)")
        extra = {} if params.get("region") else {"region": msk_region(params["cluster_arn"])}
        client = module.client("kafka", retry_decorator=AWSRetry.jittered_backoff(), **extra)
        return MskTopicBackend(client, params["cluster_arn"], wait_timeout=params["wait_timeout"])
    if not HAS_CONFLUENT_KAFKA:
        module.fail_json(msg=missing_required_lib("confluent-kafka"), exception=str(CONFLUENT_KAFKA_IMPORT_ERROR))
    return KafkaAdminBackend(
        params["bootstrap_servers"],
        security_protocol=params["security_protocol"],
        sasl_mechanism=params.get("sasl_mechanism"),
        sasl_username=params.get("sasl_username"),
        sasl_password=params.get("sasl_password"),
        ssl_ca_location=params.get("ssl_ca_location"),
        ssl_certificate_location=params.get("ssl_certificate_location"),
        ssl_key_location=params.get("ssl_key_location"),
        ssl_key_password=params.get("ssl_key_password"),
        request_timeout=params["request_timeout"],
    )
