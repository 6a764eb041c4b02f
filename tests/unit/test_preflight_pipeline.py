"""Unit tests of the rules for what runs on the AWS stack (module_utils/preflight_pipeline.py),
through preflight.check_settings: the pipeline's definitions as playbooks/group_vars/all/pipeline.yml
renders them for the poc inventory, then one bad value at a time."""

import copy
import os

import jinja2
import jinja2.nativetypes
import pytest
import yaml

from test_preflight import ROOT, TODAY, load_inventory

from ansible_collections.streamstack.pipeline.plugins.module_utils import preflight, preflight_pipeline

PIPELINE = os.path.join(ROOT, "playbooks", "group_vars", "all", "pipeline.yml")


def rendered_pipeline(inventory):
    """pipeline.yml's definitions with the inventory's pipeline_* knobs, rendered to native
    values as Ansible does (jinja2's native environment, templates inside results rendered too)."""
    with open(PIPELINE, encoding="utf-8") as handle:
        definitions = yaml.safe_load(handle)
    env = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.ChainableUndefined)
    env.filters["combine"] = lambda a, b: {**a, **b}
    context = dict(inventory, **definitions)

    def render(value):
        if isinstance(value, str) and "{{" in value:
            return render(env.from_string(value).render(context))
        if isinstance(value, dict):
            return {k: render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [render(v) for v in value]
        return value

    return {k: render(v) for k, v in definitions.items()}


@pytest.fixture(params=["poc", "staging"])
def stack(request):
    inventory = load_inventory(request.param)
    return dict(inventory, **rendered_pipeline(inventory))


def problems_of(settings):
    problems, _ = preflight.check_settings(settings, today=TODAY)
    return problems


def only(settings, variable, *texts):
    problems = problems_of(settings)
    assert [p["variable"] for p in problems] == [variable], problems
    for text in texts:
        assert text in problems[0]["message"], (text, problems[0])
    assert problems[0]["fix"]
    return problems[0]


def test_the_inventories_with_their_pipeline_pass(stack):
    problems, warnings = preflight.check_settings(stack, today=TODAY)
    assert problems == [] and warnings == []


def test_replication_factor_above_the_brokers(stack):
    bad = dict(stack, pipeline_replication_factor=stack["msk_broker_count"] + 1)
    bad.update(rendered_pipeline(bad))
    only(bad, "pipeline_replication_factor", "msk_broker_count is %d" % stack["msk_broker_count"])


def test_min_insync_above_replication_factor(stack):
    bad = dict(stack, pipeline_min_insync_replicas=stack["pipeline_replication_factor"] + 1)
    bad.update(rendered_pipeline(bad))
    only(bad, "pipeline_min_insync_replicas", "NOT_ENOUGH_REPLICAS")


@pytest.mark.parametrize("value", [0, -1, "two"])
def test_partitions_not_a_positive_number(stack, value):
    bad = dict(stack, pipeline_partitions=value)
    bad.update(rendered_pipeline(bad))
    only(bad, "pipeline_partitions", repr(value))


@pytest.mark.parametrize("name", ["events raw", "", "..", "x" * 250, "événements"])
def test_topic_names_kafka_refuses(stack, name):
    bad = copy.deepcopy(stack)
    bad["pipeline_topics"][0]["name"] = name
    only(bad, "pipeline_topics", "not a Kafka topic name")


def test_a_topic_defined_twice(stack):
    bad = copy.deepcopy(stack)
    bad["pipeline_topics"].append(copy.deepcopy(bad["pipeline_topics"][0]))
    only(bad, "pipeline_topics", "defined twice")


def test_one_topic_with_its_own_bad_replication(stack):
    bad = copy.deepcopy(stack)
    bad["pipeline_topics"][2]["replication_factor"] = 5
    only(bad, "pipeline_topics", "events.dlq", "replication_factor 5")
    bad["pipeline_topics"][2]["replication_factor"] = 1
    bad["pipeline_topics"][2]["config"]["min.insync.replicas"] = "2"
    only(bad, "pipeline_topics", "events.dlq", "min.insync.replicas 2 above its replication factor 1")


@pytest.mark.parametrize("component", preflight_pipeline.PINOT_REQUIRED)
def test_a_pinot_component_that_must_run_with_0_replicas(stack, component):
    bad = copy.deepcopy(stack)
    bad["pinot_components"][component]["replicas"] = 0
    only(bad, "pinot_components.%s.replicas" % component, "cannot run without")


def test_the_minion_may_be_0(stack):
    ok = copy.deepcopy(stack)
    ok["pinot_components"]["minion"] = {"replicas": 0}
    assert problems_of(ok) == []


def test_table_replication_above_the_servers(stack):
    bad = dict(stack, pipeline_pinot_replicas=stack["pinot_components"]["server"]["replicas"] + 1)
    only(bad, "pipeline_pinot_replicas", "cannot place")


def test_a_table_without_its_schema_a_bad_time_column_and_an_unknown_topic(stack):
    bad = copy.deepcopy(stack)
    bad["pipeline_pinot_schemas"][0]["schema"]["schemaName"] = "other"
    only(bad, "pipeline_pinot_tables", "no schema of the same name")
    bad = copy.deepcopy(stack)
    bad["pipeline_pinot_tables"][0]["config"]["segmentsConfig"]["timeColumnName"] = "created"
    only(bad, "pipeline_pinot_tables", "timeColumnName created")
    bad = copy.deepcopy(stack)
    bad["pipeline_pinot_tables"][0]["config"]["ingestionConfig"]["streamIngestionConfig"]["streamConfigMaps"][0][
        "stream.kafka.topic.name"] = "events.procesed"
    only(bad, "pipeline_pinot_tables", "events.procesed")


@pytest.mark.parametrize("runtime, text", [("FLINK-1_20", "built for Flink 2.2"), ("FLINK-1_15", "not a Managed Flink runtime")])
def test_flink_runtime(stack, runtime, text):
    only(dict(stack, flink_app_runtime=runtime), "flink_app_runtime", text)


def test_flink_parallelism(stack):
    only(dict(stack, flink_app_parallelism=0), "flink_app_parallelism", "at least 1")
    only(dict(stack, flink_app_parallelism_per_kpu="x"), "flink_app_parallelism_per_kpu", "at least 1")
    only(dict(stack, flink_app_parallelism=65 * 4, flink_app_parallelism_per_kpu=4), "flink_app_parallelism", "65 KPUs")
    _, warnings = preflight.check_settings(dict(stack, flink_app_parallelism=8), today=TODAY)
    assert any("idle while billed" in w for w in warnings), warnings


def test_msk_properties(stack):
    props = dict(stack["msk_server_properties"])
    only(dict(stack, msk_server_properties=dict(props, **{"log.retention.days": "1"})), "msk_server_properties",
         "log.retention.days")
    only(dict(stack, msk_server_properties=dict(props, **{"auto.create.topics.enable": "yes"})), "msk_server_properties",
         "not true or false")
    only(dict(stack, msk_server_properties=dict(props, **{"log.retention.hours": "a day"})), "msk_server_properties",
         "not a whole number")
    only(dict(stack, msk_server_properties=dict(props, **{"offsets.topic.replication.factor": "9"})),
         "msk_server_properties", "offsets.topic.replication.factor is 9")
