"""schemathesis over the targets and rules operations only (as HQ, with a real campaign)."""

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
from tests.livestream.factories import gen_campaign


@pytest.fixture
def api_schema(app, client, live_org):
    with app.app_context():
        gen_campaign("store", live_org.stores)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).include(
        path_regex=r"/campaigns/\{campaign_id\}/(targets|rules)"
    )


@pytest.fixture
def headers(client, live_org):
    return bearer(api_token(client, "hq"))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_targets_api_never_500(case, headers):
    case.call_and_validate(
        headers=headers,
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
