"""Each app has its own OpenAPI document: building a second app in the same process (a
test, a CLI command) leaves the first one's ``/api/v1/openapi.json`` whole.

With one module-level flask-smorest ``Api`` the second ``init_app`` replaced the spec the
first app served, and the suite's OpenAPI checks failed depending on which tests had run
before them in the same worker.
"""

from __future__ import annotations

from app import create_app
from app.extensions import openapi


def test_a_second_app_leaves_the_first_apps_document_whole(app, client, tmp_path):
    before = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/regions" in before
    # the shared layer alone (no domain registers its API): what a partial build leaves
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "other",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
            "REDIS_URL": None,
            "SIYU_ENV": "embedded",
            "SANDBOX_STATE_FILE": "",
        }
    )
    assert openapi(other) is not openapi(app)
    after = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert after.keys() == before.keys()
