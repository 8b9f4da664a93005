"""The app builds, answers /healthz and publishes an OpenAPI 3 document."""


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"


def test_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in spec["paths"]
