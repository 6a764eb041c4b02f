# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Which local service, and where it lives (module_utils/local_stack.py LOCAL_ARGS)."""

    DOCUMENTATION = r"""
options:
  name:
    description:
      - The service. C(kafka) is one KRaft broker+controller (Apache Kafka 4.1.1); C(pinot) is a
        ZooKeeper JVM plus one Pinot 0.11.0 JVM with controller, broker, server and minion;
        C(flink) is the job of C(files/flink), run from its Managed Flink zip on a PyFlink MiniCluster.
    type: str
    required: true
    choices: [kafka, pinot, flink]
  state_dir:
    description:
      - Root of the local profile's state. The service keeps C(<state_dir>/<name>/) with C(conf/),
        C(data/), C(logs/) and C(run/) (pid files). Nothing outside it is written, except the jar cache.
    type: path
    required: true
  ports:
    description:
      - 127.0.0.1 ports. C(kafka) needs C(broker) and C(controller); C(pinot) needs C(zookeeper),
        C(controller), C(broker), C(server), C(server_admin) and C(minion); C(flink) needs C(rest).
    type: dict
    required: true
  java:
    description: The C(java) to run Kafka and Pinot with. Default C(JAVA_HOME), then C(PATH).
    type: path
  jar_cache:
    description: Folder of the version-keyed jar cache (C(<jar_cache>/<name>-<version>/)). Kafka and Pinot only.
    type: path
  pom:
    description: The POM that pins the service's version and jars (C(files/services/<name>/pom.xml)). Kafka and Pinot only.
    type: path
  heap:
    description: Maximum Java heap (C(-Xmx)). Default C(512m) for Kafka, C(1g) for Pinot.
    type: str
  flink_python:
    description: The Python of the PyFlink environment (C(.venv-flink/bin/python)). Flink only.
    type: path
  job_package:
    description: The job's Managed Flink zip (built by C(files/flink/package.py)). Flink only.
    type: path
  job_properties:
    description:
      - The job's C(streamstack.job) property group, as Managed Flink would pass it (see C(files/flink/README.md)).
        Flink only. A change restarts the job from a savepoint.
    type: dict
    default: {}
  job_name:
    description: The Flink job name to look for in the REST API (default any). Flink only.
    type: str
  kafka_properties:
    description:
      - Further C(server.properties) of the broker, over the module's own (for example a TLS listener,
        C(listeners), C(listener.security.protocol.map) and C(listener.name.ssl.*)). Kafka only. A change
        restarts the broker.
    type: dict
    default: {}
"""
