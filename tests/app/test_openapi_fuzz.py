"""schemathesis over every operation of our OpenAPI spec: no 500, responses match the spec.

Runs as HQ admin against the app in-process (WSGI), with a bounded number of examples per
operation so the suite stays fast; scripts/bench and the reliability issue run it longer.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.auth import gen_user


@pytest.fixture
def admin_headers(ctx):
    from app.auth.principal import issue_user_token

    return {"Authorization": f"Bearer {issue_user_token(gen_user('fuzz-admin', 'hq_admin'))}"}


@pytest.fixture
def api_schema(app, admin_headers):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_500(case, admin_headers):
    case.call_and_validate(
        headers=admin_headers,
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
