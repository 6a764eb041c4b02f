"""The harness's Price List API (pricing.py) answers boto3 the way AWS does."""
import json

import pytest
from botocore.exceptions import ClientError

EC2_T3_MEDIUM = {"serviceCode": "AmazonEC2", "usd": 0.0444, "attributes": {
    "regionCode": "us-east-1", "instanceType": "t3.medium", "operatingSystem": "Linux", "tenancy": "Shared",
    "preInstalledSw": "NA", "capacitystatus": "Used"}}


def test_get_products_filters_and_shapes_like_aws(aws_emulator):
    aws_emulator.reset()
    other = dict(EC2_T3_MEDIUM, usd=0.1, attributes=dict(EC2_T3_MEDIUM["attributes"], operatingSystem="Windows"))
    aws_emulator.seed_prices([EC2_T3_MEDIUM, other])
    pricing = aws_emulator.client("pricing")
    found = pricing.get_products(ServiceCode="AmazonEC2", Filters=[
        {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "t3.medium"},
        {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"}])["PriceList"]
    assert len(found) == 1
    product = json.loads(found[0])
    dimension = next(iter(next(iter(product["terms"]["OnDemand"].values()))["priceDimensions"].values()))
    assert float(dimension["pricePerUnit"]["USD"]) == pytest.approx(0.0444)
    assert product["product"]["attributes"]["instanceType"] == "t3.medium"
    assert pricing.get_products(ServiceCode="AmazonMSK")["PriceList"] == []
    assert [s["ServiceCode"] for s in pricing.describe_services()["Services"]] == ["AmazonEC2"]


def test_reset_empties_the_catalogue_and_unknown_operations_fail(aws_emulator):
    aws_emulator.seed_prices([EC2_T3_MEDIUM])
    aws_emulator.reset()
    pricing = aws_emulator.client("pricing")
    assert pricing.get_products(ServiceCode="AmazonEC2")["PriceList"] == []
    with pytest.raises(ClientError) as err:
        pricing.get_attribute_values(ServiceCode="AmazonEC2", AttributeName="instanceType")
    assert err.value.response["Error"]["Code"] == "UnknownOperationException"
