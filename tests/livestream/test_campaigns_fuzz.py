"""schemathesis over every campaign operation (``/campaigns/...``) as HQ, pointed at a real
store-level campaign (generated path ids other than the campaign's stay random): no 500,
every answer matches the spec."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.auth import api_token, bearer
from tests.livestream.factories import gen_campaign, gen_product


@pytest.fixture
def campaign_id(app, live_org):
    with app.app_context():
        return gen_campaign("store", live_org.stores, products=[gen_product()]).id


@pytest.fixture
def api_schema(app, campaign_id):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def headers(client, live_org):
    return bearer(api_token(client, "hq"))


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=r"/campaigns")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_campaign_api_never_500(case, headers, campaign_id):
    if "campaign_id" in (case.path_parameters or {}):
        case.path_parameters["campaign_id"] = campaign_id
    case.call_and_validate(
        headers=headers,
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
