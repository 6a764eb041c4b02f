# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Who reaches an EKS cluster's Kubernetes API, for eks_cluster and eks_cluster_endpoint
    (the options live once in module_utils/eks.py ENDPOINT_ARGS)."""

    DOCUMENTATION = r"""
options:
  private_access:
    description: Enable the private (in-VPC) endpoint.
    type: bool
    default: true
  public_access:
    description: Enable the public endpoint.
    type: bool
    default: true
  public_access_cidrs:
    description:
      - IPv4 CIDRs allowed to reach the public endpoint. Required when O(public_access=true)
        (left out, EKS would allow C(0.0.0.0/0)).
    type: list
    elements: str
"""
