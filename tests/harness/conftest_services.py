"""Session fixtures for the real local services (registered by tests/conftest.py).

* ``kafka_broker``: one Apache Kafka 4.1.1 KRaft node on a free 127.0.0.1
  port; ``.bootstrap`` is ``"127.0.0.1:PORT"``. It is the
  ``KafkaService`` itself, so a test may ``stop()`` and ``start()`` it (same
  ports, same data).
* ``pinot_cluster``: ZooKeeper plus one Pinot 0.11.0 JVM with controller,
  broker, server and minion; ``.controller_url``, ``.broker_url``,
  ``.cluster_name``, ``.zk_address``.

Both start on first use (jars resolved once into ``.cache/jars``) with state
in the session's tmp dir, and are stopped at the end of the session, also when
tests fail; an atexit hook and ``reap_orphans()`` are the backstops.
"""

from __future__ import annotations

import pytest

from harness import services as harness_services


@pytest.fixture(scope="session")
def _services_reaped():
    harness_services.reap_orphans()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory, _services_reaped):
    kafka = harness_services.start_kafka(tmp_path_factory.mktemp("kafka"))
    try:
        yield kafka
    finally:
        harness_services.stop(kafka)


@pytest.fixture(scope="session")
def pinot_cluster(tmp_path_factory, _services_reaped):
    pinot = harness_services.start_pinot(tmp_path_factory.mktemp("pinot"))
    try:
        yield pinot
    finally:
        harness_services.stop(pinot)
