# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Amazon MSK: security-group rules from the enabled auth modes."""

from ansible.errors import AnsibleFilterError

# Client ports by authentication mode (MSK developer guide, "Port information").
MSK_CLIENT_PORTS = {"unauthenticated_tls": 9094, "scram": 9096, "iam": 9098}


def msk_ingress_rules(client_auth, client_cidrs, self_group_name):
    """Ingress rules for amazon.aws.ec2_security_group.

    One rule per (enabled auth mode, allowed CIDR) on that mode's port, plus
    broker-to-broker traffic inside the group itself. Nothing else is open.
    """
    unknown = sorted(set(client_auth) - set(MSK_CLIENT_PORTS))
    if unknown:
        raise AnsibleFilterError(f"msk_client_auth: unknown mode(s) {unknown}; use {sorted(MSK_CLIENT_PORTS)}")
    rules = [{
        "proto": "tcp", "from_port": 0, "to_port": 65535,
        "group_name": self_group_name, "rule_desc": "broker to broker",
    }]
    for mode in sorted(m for m, on in client_auth.items() if on):
        port = MSK_CLIENT_PORTS[mode]
        for cidr in client_cidrs:
            rules.append({
                "proto": "tcp", "from_port": port, "to_port": port,
                "cidr_ip": cidr, "rule_desc": f"Kafka clients, {mode}",
            })
    return rules


def msk_egress_rules(broker_group_ids, port, description="Kafka (MSK)"):
    """Egress rules for amazon.aws.ec2_security_group: TCP `port` to each broker group, nothing else."""
    if not broker_group_ids:
        raise AnsibleFilterError("msk_egress_rules: no MSK security group given; run the msk role first")
    return [{"proto": "tcp", "from_port": int(port), "to_port": int(port), "group_id": group_id,
             "rule_desc": description} for group_id in broker_group_ids]


class FilterModule:
    def filters(self):
        return {"msk_ingress_rules": msk_ingress_rules, "msk_egress_rules": msk_egress_rules}
