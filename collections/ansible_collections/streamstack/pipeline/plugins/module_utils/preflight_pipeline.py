# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight rules for what runs on the AWS stack, checked before its first AWS
call: the pipeline's topics and Pinot definitions against the target (brokers,
Pinot servers), the Managed Flink application's settings, the keys and values
of MSK's broker properties, and Pinot's components. Pure functions.

``check(settings, broker_count, problems, warnings)`` appends problems as
``preflight`` does (``{"variable", "message", "fix"}``) and warnings as strings;
``None`` means "not set" (checked elsewhere, or by a role's argument spec).
Each value found only at deploy time would otherwise cost the 20-30 minutes of
MSK and EKS before the topics, the Helm release or the application fail.
"""

from __future__ import annotations

import math
import re

from ansible_collections.streamstack.pipeline.plugins.module_utils.preflight_base import problem as _problem
from ansible_collections.streamstack.pipeline.plugins.module_utils.preflight_base import whole as _whole

# Kafka's Topic.validate: at most 249 of [a-zA-Z0-9._-], not "." or "..".
TOPIC_NAME = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")
# Managed Flink runtimes (botocore 1.44, FACTS.md); the job in files/flink is
# built for Flink 2.2 (its Kafka connector 5.0.0-2.2 exists for no other).
MSF_RUNTIMES = ("FLINK-1_20", "FLINK-2_2", "FLINK-2_3")
JOB_RUNTIME = "FLINK-2_2"
# KPUs per application without a quota increase (MSF developer guide, "Quota").
MSF_MAX_KPUS = 64
# Pinot components that must run; minion is optional (0 replicas allowed).
PINOT_REQUIRED = ("zookeeper", "controller", "broker", "server")

# The broker properties an MSK configuration accepts (MSK developer guide,
# "Custom MSK configurations": the properties you can set, 2026). CreateConfiguration
# refuses others with BadRequestException, after MSK has been sized and billed.
MSK_PROPERTIES = frozenset((
    "allow.everyone.if.no.acl.found", "auto.create.topics.enable", "compression.type",
    "connections.max.idle.ms", "default.replication.factor", "delete.topic.enable",
    "group.initial.rebalance.delay.ms", "group.max.session.timeout.ms", "group.min.session.timeout.ms",
    "leader.imbalance.per.broker.percentage", "log.cleaner.delete.retention.ms",
    "log.cleaner.min.cleanable.ratio", "log.cleaner.min.compaction.lag.ms", "log.cleanup.policy",
    "log.flush.interval.messages", "log.flush.interval.ms", "log.message.timestamp.difference.max.ms",
    "log.message.timestamp.type", "log.retention.bytes", "log.retention.hours", "log.retention.minutes",
    "log.retention.ms", "log.roll.ms", "log.roll.hours", "log.segment.bytes", "max.connections.per.ip",
    "max.connections.per.ip.overrides", "max.incremental.fetch.session.cache.slots", "message.max.bytes",
    "min.insync.replicas", "num.io.threads", "num.network.threads", "num.partitions",
    "num.recovery.threads.per.data.dir", "num.replica.fetchers", "offsets.retention.minutes",
    "offsets.topic.replication.factor", "producer.id.expiration.ms", "replica.fetch.max.bytes",
    "replica.fetch.response.max.bytes", "replica.lag.time.max.ms", "replica.selector.class",
    "replica.socket.receive.buffer.bytes", "socket.receive.buffer.bytes", "socket.request.max.bytes",
    "socket.send.buffer.bytes", "transaction.max.timeout.ms", "transaction.state.log.min.isr",
    "transaction.state.log.replication.factor", "transactional.id.expiration.ms",
    "unclean.leader.election.enable", "zookeeper.connection.timeout.ms", "zookeeper.session.timeout.ms",
    "zookeeper.set.acl", "log.message.downconversion.enable",
))
MSK_BOOLEAN_PROPERTIES = ("allow.everyone.if.no.acl.found", "auto.create.topics.enable", "delete.topic.enable",
                          "unclean.leader.election.enable", "zookeeper.set.acl", "log.message.downconversion.enable")
# Replication factors of the brokers' own topics: each at most the broker count.
MSK_REPLICATION_PROPERTIES = ("default.replication.factor", "offsets.topic.replication.factor",
                              "transaction.state.log.replication.factor")
PIPELINE_FILE = "playbooks/group_vars/all/pipeline.yml"
INVENTORY_PIPELINE = "inventories/<environment>/group_vars/all/pipeline.yml"


def check(s, broker_count, problems, warnings):
    knobs = _check_pipeline_knobs(s, broker_count, problems)
    topics = _check_topics(s, broker_count, knobs, problems)
    servers = _check_pinot_components(s, problems)
    _check_pinot_definitions(s, topics, servers, problems)
    _check_flink(s, topics, problems, warnings)
    _check_msk_properties(s, broker_count, problems)


def _check_pipeline_knobs(s, brokers, problems):
    """The inventory's pipeline_partitions, _replication_factor, _min_insync_replicas."""
    values = {}
    for name, low in (("pipeline_partitions", 1), ("pipeline_replication_factor", 1),
                      ("pipeline_min_insync_replicas", 1)):
        raw = s.get(name)
        if raw is None:
            continue
        value = _whole(raw)
        if value is None or value < low:
            problems.append(_problem(name, "%s is %r, not a whole number of at least %d" % (name, raw, low),
                                     "set %s in %s to e.g. %d" % (name, INVENTORY_PIPELINE, max(low, 2))))
            continue
        values[name] = value
    rf = values.get("pipeline_replication_factor")
    isr = values.get("pipeline_min_insync_replicas")
    if rf is not None and brokers and rf > brokers:
        problems.append(_problem(
            "pipeline_replication_factor",
            "pipeline_replication_factor is %d but msk_broker_count is %d: Kafka places each replica on "
            "another broker, so creating the topics would fail" % (rf, brokers),
            "set pipeline_replication_factor to at most %d, or raise msk_broker_count" % brokers))
    if isr is not None and rf is not None and isr > rf:
        problems.append(_problem(
            "pipeline_min_insync_replicas",
            "pipeline_min_insync_replicas is %d, above pipeline_replication_factor %d: every write with "
            "acks=all would fail (NOT_ENOUGH_REPLICAS)" % (isr, rf),
            "set pipeline_min_insync_replicas to at most %d (usually the replication factor - 1)" % rf))
    return values


def _check_topics(s, brokers, knobs, problems):
    """The rendered pipeline_topics: names, counts, per-topic min.insync.replicas. Returns their names."""
    topics = s.get("pipeline_topics")
    if topics is None:
        return []
    if not isinstance(topics, list):
        problems.append(_problem("pipeline_topics", "pipeline_topics is a %s, not a list" % type(topics).__name__,
                                 "keep pipeline_topics a list of {name, partitions, replication_factor, config} (%s)"
                                 % PIPELINE_FILE))
        return []
    # A value the inventory's knob gave is reported once, on the knob.
    bad_knob = {k for k in ("pipeline_partitions", "pipeline_replication_factor", "pipeline_min_insync_replicas")
                if s.get(k) is not None and k not in knobs}
    names = []
    for index, topic in enumerate(topics):
        where = "pipeline_topics[%d]" % index
        if not isinstance(topic, dict):
            problems.append(_problem("pipeline_topics", "%s is not a mapping" % where,
                                     "give each topic name, partitions, replication_factor and config"))
            continue
        name = topic.get("name")
        if not isinstance(name, str) or not TOPIC_NAME.match(name) or name in (".", ".."):
            problems.append(_problem(
                "pipeline_topics", "%s name %r is not a Kafka topic name (1-249 of letters, digits, '.', '_', "
                "'-')" % (where, name), "rename the topic in %s" % PIPELINE_FILE))
            continue
        if name in names:
            problems.append(_problem("pipeline_topics", "topic %s is defined twice" % name,
                                     "keep one definition of %s in %s" % (name, PIPELINE_FILE)))
        names.append(name)
        partitions = _whole(topic.get("partitions"))
        rf = _whole(topic.get("replication_factor"))
        if (partitions is None or partitions < 1) and "pipeline_partitions" not in bad_knob:
            problems.append(_problem("pipeline_topics", "topic %s has partitions %r; Kafka needs at least 1"
                                     % (name, topic.get("partitions")), "give %s 1 or more partitions" % name))
        if rf is None or rf < 1:
            if "pipeline_replication_factor" not in bad_knob:
                problems.append(_problem("pipeline_topics", "topic %s has replication_factor %r; Kafka needs at "
                                         "least 1" % (name, topic.get("replication_factor")),
                                         "give %s a replication factor of 1 or more" % name))
            rf = None
        elif brokers and rf > brokers and knobs.get("pipeline_replication_factor") != rf:
            problems.append(_problem(
                "pipeline_topics", "topic %s has replication_factor %d but msk_broker_count is %d" % (name, rf, brokers),
                "give %s a replication factor of at most %d" % (name, brokers)))
        config = topic.get("config") or {}
        isr = _whole(config.get("min.insync.replicas")) if isinstance(config, dict) else None
        reported = (knobs.get("pipeline_min_insync_replicas"), knobs.get("pipeline_replication_factor")) == (isr, rf)
        if isr is not None and rf is not None and isr > rf and not reported:
            problems.append(_problem(
                "pipeline_topics", "topic %s has min.insync.replicas %d above its replication factor %d"
                % (name, isr, rf), "set min.insync.replicas of %s to at most %d" % (name, rf)))
    return names


def _check_pinot_components(s, problems):
    """Every component that must run has replicas; returns the server count (None if unknown)."""
    components = s.get("pinot_components")
    if not isinstance(components, dict):
        return None
    servers = None
    for name in PINOT_REQUIRED:
        spec = components.get(name)
        if spec is None:
            continue
        replicas = _whole(spec.get("replicas")) if isinstance(spec, dict) else None
        if replicas is None or replicas < 1:
            problems.append(_problem(
                "pinot_components.%s.replicas" % name,
                "pinot_components.%s.replicas is %r: Pinot cannot run without its %s (only the minion may "
                "be 0)" % (name, spec.get("replicas") if isinstance(spec, dict) else spec, name),
                "set pinot_components.%s.replicas to 1 or more" % name))
        elif name == "server":
            servers = replicas
    return servers


def _check_pinot_definitions(s, topics, servers, problems):
    """Tables against schemas, the topics and the servers; the table replication against the servers."""
    replicas = _whole(s.get("pipeline_pinot_replicas"))
    if s.get("pipeline_pinot_replicas") is not None:
        if replicas is None or replicas < 1:
            problems.append(_problem("pipeline_pinot_replicas", "pipeline_pinot_replicas is %r, not a whole number "
                                     "of at least 1" % (s.get("pipeline_pinot_replicas"),),
                                     "set pipeline_pinot_replicas to 1 (poc) or the server count"))
        elif servers is not None and replicas > servers:
            problems.append(_problem(
                "pipeline_pinot_replicas",
                "pipeline_pinot_replicas is %d but pinot_components.server.replicas is %d: Pinot cannot place "
                "that many copies of each segment, and the table would not be created" % (replicas, servers),
                "set pipeline_pinot_replicas to at most %d, or add servers" % servers))
    schemas = s.get("pipeline_pinot_schemas")
    tables = s.get("pipeline_pinot_tables")
    if not isinstance(schemas, list) or not isinstance(tables, list):
        return
    fields = {}
    for schema in schemas:
        body = (schema or {}).get("schema") if isinstance(schema, dict) else None
        if not isinstance(body, dict) or not body.get("schemaName"):
            problems.append(_problem("pipeline_pinot_schemas", "a schema has no schema.schemaName",
                                     "give each entry of pipeline_pinot_schemas a schema with its schemaName"))
            continue
        time_fields = [f.get("name") for f in body.get("dateTimeFieldSpecs") or [] if isinstance(f, dict)]
        fields[body["schemaName"]] = time_fields
    for table in tables:
        config = (table or {}).get("config") if isinstance(table, dict) else None
        if not isinstance(config, dict):
            problems.append(_problem("pipeline_pinot_tables", "a table has no config",
                                     "give each entry of pipeline_pinot_tables its table config"))
            continue
        name = config.get("tableName")
        if name not in fields:
            problems.append(_problem(
                "pipeline_pinot_tables", "table %s has no schema of the same name (Pinot requires one; schemas: %s)"
                % (name, ", ".join(sorted(fields)) or "none"), "add schema %s to pipeline_pinot_schemas" % name))
            continue
        segments = config.get("segmentsConfig") or {}
        time_column = segments.get("timeColumnName")
        if time_column and time_column not in fields[name]:
            problems.append(_problem(
                "pipeline_pinot_tables", "table %s's timeColumnName %s is not a dateTimeFieldSpecs field of schema "
                "%s (%s)" % (name, time_column, name, ", ".join(fields[name]) or "none"),
                "use one of the schema's date-time fields"))
        stream_maps = ((config.get("ingestionConfig") or {}).get("streamIngestionConfig") or {}).get(
            "streamConfigMaps") or []
        for stream in stream_maps:
            topic = stream.get("stream.kafka.topic.name") if isinstance(stream, dict) else None
            if topics and topic not in topics:
                problems.append(_problem(
                    "pipeline_pinot_tables", "table %s consumes topic %s, which pipeline_topics does not define (%s)"
                    % (name, topic, ", ".join(topics)), "point stream.kafka.topic.name at one of pipeline_topics"))


def _check_flink(s, topics, problems, warnings):
    runtime = s.get("flink_app_runtime")
    if runtime is not None and runtime != JOB_RUNTIME:
        if runtime in MSF_RUNTIMES:
            message = ("flink_app_runtime is %s, which Managed Flink offers, but the job in files/flink and its "
                       "Kafka connector are built for Flink 2.2" % runtime)
        else:
            message = "flink_app_runtime %r is not a Managed Flink runtime (%s)" % (runtime, ", ".join(MSF_RUNTIMES))
        problems.append(_problem("flink_app_runtime", message, "set flink_app_runtime to %s" % JOB_RUNTIME))
    parallelism = _whole(s.get("flink_app_parallelism")) if s.get("flink_app_parallelism") is not None else 1
    per_kpu = _whole(s.get("flink_app_parallelism_per_kpu")) if s.get("flink_app_parallelism_per_kpu") is not None else 1
    for name, value in (("flink_app_parallelism", parallelism), ("flink_app_parallelism_per_kpu", per_kpu)):
        if value is None or value < 1:
            problems.append(_problem(name, "%s is %r, not a whole number of at least 1" % (name, s.get(name)),
                                     "set %s to 1 or more" % name))
    if parallelism and per_kpu and parallelism >= 1 and per_kpu >= 1:
        kpus = int(math.ceil(parallelism / float(per_kpu)))
        if kpus > MSF_MAX_KPUS:
            problems.append(_problem(
                "flink_app_parallelism", "flink_app_parallelism %d at %d per KPU needs %d KPUs; Managed Flink allows "
                "%d per application without a quota increase" % (parallelism, per_kpu, kpus, MSF_MAX_KPUS),
                "lower flink_app_parallelism or raise flink_app_parallelism_per_kpu"))
        partitions = _whole(s.get("pipeline_partitions"))
        if partitions and parallelism > partitions:
            warnings.append(
                "flink_app_parallelism %d is above the raw topic's %d partitions: %d source subtask(s) will idle "
                "while billed" % (parallelism, partitions, parallelism - partitions))


def _check_msk_properties(s, brokers, problems):
    props = s.get("msk_server_properties")
    if not isinstance(props, dict):
        return
    unknown = sorted(str(k) for k in props if k not in MSK_PROPERTIES)
    if unknown:
        problems.append(_problem(
            "msk_server_properties",
            "msk_server_properties has %d key(s) an MSK configuration does not accept: %s" % (
                len(unknown), ", ".join(unknown)),
            "remove them (MSK developer guide, \"Custom MSK configurations\"); if MSK has added one since, add it "
            "to MSK_PROPERTIES in plugins/module_utils/preflight_pipeline.py"))
    for key in MSK_BOOLEAN_PROPERTIES:
        value = props.get(key)
        if value is not None and str(value).lower() not in ("true", "false"):
            problems.append(_problem("msk_server_properties", "msk_server_properties %s is %r, not true or false"
                                     % (key, value), 'set %s to "true" or "false"' % key))
    for key, value in props.items():
        if key in MSK_BOOLEAN_PROPERTIES or value is None or key not in MSK_PROPERTIES:
            continue
        if re.search(r"(\.ms|\.bytes|\.hours|\.minutes|\.replicas|\.factor|\.partitions|\.threads|\.isr)$", key):
            number = _whole(value)
            if number is None:
                problems.append(_problem("msk_server_properties", "msk_server_properties %s is %r, not a whole number"
                                         % (key, value), "set %s to a number, quoted (\"24\")" % key))
    if brokers:
        for key in MSK_REPLICATION_PROPERTIES[1:]:
            rf = _whole(props.get(key))
            if rf is not None and rf > brokers:
                problems.append(_problem("msk_server_properties", "msk_server_properties %s is %d but msk_broker_count "
                                         "is %d" % (key, rf, brokers), "set %s to at most %d" % (key, brokers)))
