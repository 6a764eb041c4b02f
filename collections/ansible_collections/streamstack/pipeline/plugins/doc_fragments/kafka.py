# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """How kafka_topic and kafka_topic_info reach brokers over the Kafka protocol
    (the options live once in module_utils/kafka_admin.py CONNECTION_ARGS)."""

    DOCUMENTATION = r"""
options:
  bootstrap_servers:
    description:
      - Brokers to connect to, C(host:port), as a list or a comma-separated string.
      - Exactly one of O(bootstrap_servers) and O(cluster_arn) is required.
    type: list
    elements: str
  security_protocol:
    description: Protocol to the brokers (O(bootstrap_servers) only).
    type: str
    choices: [PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL]
    default: PLAINTEXT
  sasl_mechanism:
    description: SASL mechanism; required with C(SASL_SSL) and C(SASL_PLAINTEXT).
    type: str
    choices: [PLAIN, SCRAM-SHA-256, SCRAM-SHA-512]
  sasl_username:
    description: SASL user name (for MSK SCRAM, the user of the secret associated with the cluster).
    type: str
  sasl_password:
    description: SASL password.
    type: str
  ssl_ca_location:
    description: CA certificate file (PEM) to verify the brokers; the system store when not given.
    type: path
  ssl_certificate_location:
    description: Client certificate file (PEM) for mutual TLS.
    type: path
  ssl_key_location:
    description: Client private key file (PEM) for mutual TLS.
    type: path
  ssl_key_password:
    description: Password of O(ssl_key_location), if it is encrypted.
    type: str
  request_timeout:
    description:
      - Seconds to wait for the brokers to answer each request (and to connect).
        An unreachable cluster fails after this long, naming the reason.
    type: int
    default: 30
"""
