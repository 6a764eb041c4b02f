# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS Price List API (``pricing:GetProducts``): the prices of a region the
price table (prices.py) lacks, or fresher ones on request (cost_refresh_prices).

``PRODUCTS`` says, for each item of the price table, which product to ask for:
the service code, the attributes to match exactly (TERM_MATCH, besides the
region's ``regionCode``) and, where one service code lists several products
for the same filters, the end of the product's ``usagetype`` (AWS prefixes it
with a region code such as ``EUW1-``; us-east-1 has none). Attribute names
and values are the Price List's own (``aws pricing describe-services`` and
``get-attribute-values`` list them). An item the API does not answer for is
left out of the result: prices.py then uses us-east-1's and marks it.
"""

from __future__ import annotations

import datetime
import json

from ansible_collections.streamstack.pipeline.plugins.module_utils import prices

SOURCE = "AWS Price List API GetProducts"
_LINUX = (("operatingSystem", "Linux"), ("tenancy", "Shared"), ("preInstalledSw", "NA"), ("capacitystatus", "Used"))

# item -> (service code, ((attribute, value), ...), usagetype suffix or None, unit of the table's entry)
PRODUCTS = {
    "msk_storage": ("AmazonMSK", (("productFamily", "Storage"),), None, "USD/GB-month"),
    "msf_kpu": ("AmazonKinesisAnalytics", (), "KPU-Hour-Java", "USD/KPU-h"),
    "msf_storage": ("AmazonKinesisAnalytics", (), "RunningApplicationStorage", "USD/GB-month"),
    "eks_control_plane": ("AmazonEKS", (), "AmazonEKS-Hours:perCluster", "USD/cluster-h"),
    "eks_control_plane_extended": ("AmazonEKS", (), "AmazonEKS-Hours:extendedSupport", "USD/cluster-h"),
    "nat_gateway": ("AmazonEC2", (("productFamily", "NAT Gateway"),), "NatGateway-Hours", "USD/NAT-h"),
    "nat_data": ("AmazonEC2", (("productFamily", "NAT Gateway"),), "NatGateway-Bytes", "USD/GB"),
    "public_ipv4": ("AmazonVPC", (), "PublicIPv4:InUseAddress", "USD/address-h"),
    "alb": ("AWSELB", (("productFamily", "Load Balancer-Application"),), "LoadBalancerUsage", "USD/ALB-h"),
    "alb_lcu": ("AWSELB", (("productFamily", "Load Balancer-Application"),), "LCUUsage", "USD/LCU-h"),
    "ebs_gp3": ("AmazonEC2", (("productFamily", "Storage"), ("volumeApiName", "gp3")), None, "USD/GB-month"),
    "logs_ingest": ("AmazonCloudWatch", (), "DataProcessing-Bytes", "USD/GB"),
    "logs_storage": ("AmazonCloudWatch", (), "TimedStorage-ByteHrs", "USD/GB-month"),
    "codebuild_minute": ("CodeBuild", (), "Build-Min:Linux:g1.small", "USD/build-minute"),
}
# Items priced by a type: the type's attribute, added to these filters.
TYPED_PRODUCTS = {
    "ec2": ("AmazonEC2", _LINUX, "instanceType", "USD/instance-h"),
    "msk_broker": ("AmazonMSK", (), "instanceType", "USD/broker-h"),
}


def _usd(document, usagetype_suffix):
    """The first positive on-demand USD price of a Price List document, or None."""
    product = json.loads(document) if isinstance(document, str) else document
    usagetype = product.get("product", {}).get("attributes", {}).get("usagetype", "")
    if usagetype_suffix and not usagetype.endswith(usagetype_suffix):
        return None
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None and float(usd) > 0:
                return float(usd)
    return None


def product_price(client, region, service, attributes, usagetype_suffix=None):
    """USD of the first product matching exactly, or None. ``client``: the module's, made with
    ``retry_decorator`` (AWSRetry), so throttling is retried; other errors are the caller's."""
    filters = [{"Type": "TERM_MATCH", "Field": field, "Value": value}
               for field, value in (("regionCode", region),) + tuple(attributes)]
    token = None
    while True:
        kwargs = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        response = client.get_products(aws_retry=True, **kwargs)
        for document in response.get("PriceList", []):
            usd = _usd(document, usagetype_suffix)
            if usd is not None:
                return usd
        token = response.get("NextToken")
        if not token:
            return None


def region_prices(client, region, types=None, items=None, today=None):
    """{item: entry, or {kind: entry}} of what the API prices in ``region``: the ``items``
    of PRODUCTS (default all), and of TYPED_PRODUCTS the kinds in ``types``
    ({item: [kind, ...]}). Items the API does not list are absent."""
    date = (today or datetime.date.today()).isoformat()
    found = {}
    for item, (service, attributes, suffix, unit) in PRODUCTS.items():
        if items is not None and item not in items:
            continue
        usd = product_price(client, region, service, attributes, suffix)
        if usd is not None:
            found[item] = prices.entry(usd, unit, SOURCE, date)
    for item, kinds in (types or {}).items():
        service, attributes, type_attribute, unit = TYPED_PRODUCTS[item]
        for kind in kinds:
            usd = product_price(client, region, service, tuple(attributes) + ((type_attribute, kind),))
            if usd is not None:
                found.setdefault(item, {})[kind] = prices.entry(usd, unit, SOURCE, date)
    return found
