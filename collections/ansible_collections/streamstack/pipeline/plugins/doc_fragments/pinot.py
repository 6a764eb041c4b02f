# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Connection options of the streamstack.pipeline.pinot_* modules."""

    DOCUMENTATION = r"""
options:
  controller_url:
    description:
      - Base URL of the Pinot controller, C(http://) or C(https://).
      - It may carry a path prefix, for example the Kubernetes API server's service proxy
        C(https://<eks-endpoint>/api/v1/namespaces/pinot/services/pinot-controller:9000/proxy)
        (then give the bearer token in O(headers)).
    type: str
    required: true
  headers:
    description:
      - Extra HTTP headers sent with every request, for example
        an C(Authorization) header with C(Bearer <token>) for the Kubernetes API service proxy.
      - Treated as secret (never logged).
    type: dict
    default: {}
  validate_certs:
    description: Verify the server's TLS certificate on C(https://) URLs.
    type: bool
    default: true
  ca_path:
    description: PEM file of the CA that signed the server certificate (for example the EKS cluster CA).
    type: path
  timeout:
    description: Seconds to wait for each HTTP response.
    type: int
    default: 30
"""
