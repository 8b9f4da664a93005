"""``GET /api/v1/docs``: the OpenAPI spec rendered server-side as a readable HTML page.

Operations are grouped by tag, each with method, path, summary, parameters, request
body fields and responses; component schemas are listed with their fields. No CDN, no
JavaScript: the page is plain HTML styled by the web shell's CSS. The machine-readable
spec stays at ``/api/v1/openapi.json`` (flask-smorest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, render_template

bp = Blueprint("apidocs", __name__)

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class FieldDoc:
    """One schema property or parameter, flattened for a table row."""

    name: str
    type: str
    required: bool = False
    description: str = ""
    constraints: list[str] = field(default_factory=list)
    ref: str | None = None  # component schema name the type links to


@dataclass
class BodyDoc:
    """A request or response body: its content type, schema name and fields."""

    content_type: str
    ref: str | None
    type: str
    fields: list[FieldDoc]


@dataclass
class OperationDoc:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    deprecated: bool
    secured: bool
    parameters: list[FieldDoc]
    request: BodyDoc | None
    responses: list[tuple[str, str, BodyDoc | None]]


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _resolve(spec: dict, obj: dict | None) -> dict:
    """Follow a local ``$ref`` (``#/components/...``) once; other objects pass through."""
    if not isinstance(obj, dict) or "$ref" not in obj:
        return obj or {}
    node: Any = spec
    for part in obj["$ref"].lstrip("#/").split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def _type_of(schema: dict) -> tuple[str, str | None]:
    """A short type label and the component it refers to (``"array of Token"``, ``Token``)."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return name, name
    for combo in ("allOf", "oneOf", "anyOf"):
        if schema.get(combo):
            parts = [_type_of(s) for s in schema[combo]]
            ref = next((r for _, r in parts if r), None)
            return " | ".join(t for t, _ in parts), ref
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if kind == "array":
        inner, ref = _type_of(schema.get("items", {}))
        return f"array of {inner}", ref
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    return kind, None


def _constraints(schema: dict) -> list[str]:
    out = []
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("pattern", "pattern"),
        ("default", "default"),
    ):
        if key in schema:
            out.append(f"{label} {schema[key]}")
    if schema.get("enum"):
        out.append("one of: " + ", ".join(str(v) for v in schema["enum"]))
    if schema.get("nullable"):
        out.append("nullable")
    if schema.get("readOnly"):
        out.append("read-only")
    return out


def schema_fields(spec: dict, schema: dict | None) -> list[FieldDoc]:
    """The properties of an object schema (following one ``$ref``, and array items)."""
    schema = schema or {}
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    schema = _resolve(spec, schema)
    required = set(schema.get("required", []))
    rows = []
    for name, prop in (schema.get("properties") or {}).items():
        kind, ref = _type_of(prop)
        rows.append(
            FieldDoc(
                name, kind, name in required, prop.get("description", ""), _constraints(prop), ref
            )
        )
    return rows


def _body(spec: dict, content: dict | None) -> BodyDoc | None:
    if not content:
        return None
    content_type, media = next(iter(content.items()))
    schema = (media or {}).get("schema") or {}
    kind, ref = _type_of(schema)
    return BodyDoc(content_type, ref, kind, schema_fields(spec, schema))


def _parameters(spec: dict, params: list) -> list[FieldDoc]:
    rows = []
    for raw in params or []:
        param = _resolve(spec, raw)
        schema = param.get("schema") or {}
        kind, ref = _type_of(schema)
        constraints = [f"in {param.get('in', '?')}", *_constraints(schema)]
        rows.append(
            FieldDoc(
                param.get("name", "?"),
                kind,
                bool(param.get("required")),
                param.get("description", ""),
                constraints,
                ref,
            )
        )
    return rows


def build_docs(spec: dict) -> dict:
    """Turn an OpenAPI 3 dict into the page model: tags with operations, and schemas."""
    tag_info = {t["name"]: t.get("description", "") for t in spec.get("tags", [])}
    grouped: dict[str, list[OperationDoc]] = {name: [] for name in tag_info}
    global_security = bool(spec.get("security"))
    for path, item in sorted((spec.get("paths") or {}).items()):
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if not op:
                continue
            body = _resolve(spec, op.get("requestBody")) if op.get("requestBody") else None
            responses = []
            for status, raw in sorted(
                op.get("responses", {}).items(), key=lambda kv: (kv[0] == "default", kv[0])
            ):
                resp = _resolve(spec, raw)
                responses.append(
                    (status, resp.get("description", ""), _body(spec, resp.get("content")))
                )
            secured = bool(op["security"]) if "security" in op else global_security
            doc = OperationDoc(
                method=method.upper(),
                path=path,
                summary=op.get("summary", ""),
                description=op.get("description", ""),
                anchor=f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                deprecated=bool(op.get("deprecated")),
                secured=secured,
                parameters=_parameters(spec, shared + op.get("parameters", [])),
                request=_body(spec, (body or {}).get("content")),
                responses=responses,
            )
            for tag in op.get("tags") or [""]:
                grouped.setdefault(tag, []).append(doc)
    tags = [
        {"name": name, "description": tag_info.get(name, ""), "operations": ops}
        for name, ops in grouped.items()
        if ops
    ]
    schemas = [
        {
            "name": name,
            "description": schema.get("description", ""),
            "fields": schema_fields(spec, schema),
        }
        for name, schema in sorted(((spec.get("components") or {}).get("schemas") or {}).items())
    ]
    return {"info": spec.get("info", {}), "tags": tags, "schemas": schemas}


@bp.route("/api/v1/docs")
def docs():
    """The readable API reference (public, like ``openapi.json``)."""
    from app.extensions import openapi

    spec = openapi().spec.to_dict()
    return render_template("apidocs/index.html", docs=build_docs(spec))


def init_app(app: Flask) -> None:
    """Register the docs page (the spec is read per request, so registration order is free)."""
    app.register_blueprint(bp)
