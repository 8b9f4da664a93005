"""Read and check a store CSV before anything is written.

Columns: ``code,name,franchisee_sub_mch_id,region_code,city,address,latitude,longitude,
is_open``. The franchisee may instead be named by a ``franchisee_name`` column, or by a
``franchisee`` column holding either the sub-merchant id (digits) or the name. UTF-8,
with or without a BOM. Line numbers are the file's, the header being line 1.

This module only reads: ``validate_store_csv`` returns the clean rows (references
resolved to ids) and a list of ``(line, message)`` errors; ``services.upsert_stores``
writes them.
"""

from __future__ import annotations

import csv
import io
import math
import re

from sqlalchemy import select

from app.extensions import db
from franchise.models import Franchisee, Region

REQUIRED = ("code", "name", "region_code", "city", "address", "latitude", "longitude", "is_open")
FRANCHISEE_COLUMNS = ("franchisee_sub_mch_id", "franchisee_name", "franchisee")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
TRUE = {"1", "true", "yes", "y", "open", "是", "营业"}
FALSE = {"0", "false", "no", "n", "closed", "否", "关闭", "闭店"}


def _float(raw: str, low: float, high: float) -> tuple[float | None, str | None]:
    try:
        value = float(raw)
    except ValueError:
        return None, "not a number"
    if math.isnan(value) or not low <= value <= high:
        return None, f"must be between {low:g} and {high:g}"
    return value, None


class _Lookups:
    """Franchisees and regions loaded once, so checking a big file is one query each."""

    def __init__(self):
        franchisees = db.session.scalars(select(Franchisee)).all()
        self.by_mch = {f.sub_mch_id: f for f in franchisees}
        self.by_name: dict[str, list[Franchisee]] = {}
        for f in franchisees:
            self.by_name.setdefault(f.name, []).append(f)
        self.regions = {r.code: r for r in db.session.scalars(select(Region))}

    def franchisee(self, row: dict) -> tuple[Franchisee | None, str | None]:
        mch = (row.get("franchisee_sub_mch_id") or "").strip()
        name = (row.get("franchisee_name") or "").strip()
        either = (row.get("franchisee") or "").strip()
        if either:
            mch, name = (either, name) if either.isdigit() else (mch, either)
        if mch:
            found = self.by_mch.get(mch)
            return (found, None) if found else (None, f"no franchisee with sub_mch_id {mch}")
        if name:
            matches = self.by_name.get(name, [])
            if len(matches) == 1:
                return matches[0], None
            if matches:
                return None, f"several franchisees are named {name}; use the sub_mch_id"
            return None, f"no franchisee named {name}"
        return None, "franchisee: required"


def _check_row(row: dict, lookups: _Lookups, errors: list[str]) -> dict:
    clean: dict = {}
    code = (row.get("code") or "").strip()
    if not CODE_RE.match(code):
        errors.append("code: letters, digits, - and _, at most 32")
    clean["code"] = code
    for key, limit, required in (("name", 64, True), ("city", 32, True), ("address", 255, False)):
        value = (row.get(key) or "").strip()
        if required and not value:
            errors.append(f"{key}: required")
        elif len(value) > limit:
            errors.append(f"{key}: at most {limit} characters")
        clean[key] = value
    franchisee, problem = lookups.franchisee(row)
    if problem:
        errors.append(problem)
    else:
        assert franchisee is not None  # found when there is no problem
        clean["franchisee_id"] = franchisee.id
    region_code = (row.get("region_code") or "").strip()
    region = lookups.regions.get(region_code)
    if region is None:
        errors.append(
            f"region_code: no region {region_code}" if region_code else "region_code: required"
        )
    else:
        clean["region_id"] = region.id
    for key, bound in (("latitude", 90), ("longitude", 180)):
        value, problem = _float((row.get(key) or "").strip(), -bound, bound)
        if problem:
            errors.append(f"{key}: {problem}")
        clean[key] = value
    flag = (row.get("is_open") or "").strip().lower()
    if flag in TRUE or flag == "":
        clean["is_open"] = True
    elif flag in FALSE:
        clean["is_open"] = False
    else:
        errors.append("is_open: use 1/0, true/false or yes/no")
    return clean


def validate_store_csv(data: bytes) -> tuple[list[dict], list[tuple[int, str]]]:
    """Check every row of a store CSV; returns ``(clean rows, [(line, message), ...])``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [(1, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if not any(c in header for c in FRANCHISEE_COLUMNS):
        missing.append("franchisee_sub_mch_id (or franchisee_name)")
    if missing:
        return [], [(1, "missing column(s): " + ", ".join(missing))]
    lookups = _Lookups()
    rows: list[dict] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue  # a blank line
        errors: list[str] = []
        if None in row:
            errors.append("more fields than columns")
        clean = _check_row(row, lookups, errors)
        if clean["code"] in seen:
            errors.append(f"code {clean['code']} repeats line {seen[clean['code']]}")
        else:
            seen[clean["code"]] = line
        problems.extend((line, message) for message in errors)
        rows.append(clean)
    if not rows and not problems:
        problems.append((1, "no rows to import"))
    return rows, problems
