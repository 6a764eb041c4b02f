"""The Price List API reader (module_utils/price_list.py) on the documents AWS sends.

botocore Stubber, because what matters here is the shape of AWS's answers: usage
types prefixed by a region code, several products per filter, pages. The AWS
emulator's Price List (tests/harness/emulator/pricing.py) serves what tests seed;
tests/integration/test_cost.py runs the module against it.
"""
from __future__ import annotations

import datetime
import json
import os
import sys

import boto3
from botocore.stub import ANY, Stubber

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.streamstack.pipeline.plugins.module_utils import price_list, prices  # noqa: E402

TODAY = datetime.date(2026, 12, 7)


def document(usagetype, usd, unit="Hrs", **attributes):
    sku = "SKU" + usagetype.replace(":", "").replace("-", "")[:10].upper()
    return json.dumps({"product": {"sku": sku, "attributes": dict(attributes, usagetype=usagetype)},
                       "terms": {"OnDemand": {sku + ".T": {"priceDimensions": {sku + ".T.D": {
                           "unit": unit, "pricePerUnit": {"USD": "%.10f" % usd}}}}}}})


def client():
    raw = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                region_name="us-east-1").client("pricing")
    return raw, RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=1))


def expect(stub, service, filters, documents, token=None, next_token=None):
    params = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
    if token:
        params["NextToken"] = token
    answer = {"FormatVersion": "aws_v1", "PriceList": documents}
    if next_token:
        answer["NextToken"] = next_token
    stub.add_response("get_products", answer, params)


def test_the_product_is_picked_by_its_usagetype_whatever_the_regions_prefix_and_across_pages():
    raw, wrapped = client()
    with Stubber(raw) as stub:
        # NAT gateway: the hours and the bytes share the filters; the hours come on page 2.
        expect(stub, "AmazonEC2", ANY, [document("EU-NatGateway-Bytes", 0.048, unit="GB")], next_token="p2")
        expect(stub, "AmazonEC2", ANY, [document("EU-NatGateway-Hours", 0.048)], token="p2")
        found = price_list.region_prices(wrapped, "eu-west-1", items=["nat_gateway"], today=TODAY)
        stub.assert_no_pending_responses()
    assert found == {"nat_gateway": prices.entry(0.048, "USD/NAT-h", price_list.SOURCE, "2026-12-07")}


def test_the_filters_name_the_region_and_the_type_and_an_unlisted_item_is_left_out():
    raw, wrapped = client()
    with Stubber(raw) as stub:
        expect(stub, "AmazonEC2", [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in (
            ("regionCode", "ca-central-1"), ("operatingSystem", "Linux"), ("tenancy", "Shared"),
            ("preInstalledSw", "NA"), ("capacitystatus", "Used"), ("instanceType", "t3.medium"))],
            [document("CAN1-BoxUsage:t3.medium", 0.0464)])
        expect(stub, "AmazonMSK", [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "ca-central-1"},
                                   {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "kafka.t3.small"}], [])
        found = price_list.region_prices(wrapped, "ca-central-1", {"ec2": ["t3.medium"],
                                                                   "msk_broker": ["kafka.t3.small"]},
                                         items=[], today=TODAY)
        stub.assert_no_pending_responses()
    assert found == {"ec2": {"t3.medium": prices.entry(0.0464, "USD/instance-h", price_list.SOURCE, "2026-12-07")}}


def test_a_zero_price_is_not_a_price():
    raw, wrapped = client()
    with Stubber(raw) as stub:
        expect(stub, "AmazonEKS", ANY, [document("CAN1-AmazonEKS-Hours:perCluster", 0.0)])
        assert price_list.region_prices(wrapped, "ca-central-1", items=["eks_control_plane"], today=TODAY) == {}


def test_every_item_of_the_table_has_a_product_to_ask_for():
    scalar = {item for item, entry in prices.PRICES["us-east-1"].items() if "price" in entry}
    typed = {item for item, entry in prices.PRICES["us-east-1"].items() if "price" not in entry}
    # spot_share is a share of on demand, not a price the Price List has.
    assert scalar - set(price_list.PRODUCTS) == {"spot_share"}
    assert typed == set(price_list.TYPED_PRODUCTS)
    for item, (_, _, _, unit) in price_list.PRODUCTS.items():
        assert unit == prices.PRICES["us-east-1"][item]["unit"], item
