"""``flask franchise import-stores``: all rows checked first, all or nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from franchise.models import Store

HEADER = "code,name,franchisee_sub_mch_id,region_code,city,address,latitude,longitude,is_open"


def run_import(app, tmp_path, text: str, bom: bool = False):
    path = tmp_path / "stores.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return app.test_cli_runner().invoke(args=["franchise", "import-stores", str(path)])


def store_rows(app):
    with app.app_context():
        return {
            s.code: (s.name, s.franchisee_id, s.is_open) for s in db.session.scalars(select(Store))
        }


def test_good_file_creates_and_updates(app, tmp_path, org):
    text = "\n".join(
        [
            HEADER,
            "HZ-1,杭州湖滨店,1900000201,EAST,杭州,东坡路7号,30.259,120.1649,1",
            '"SH-A","上海A店(新)",1900000201,EAST,上海,"南京西路1266号, 2楼",31.2297,121.4552,yes',
            "BJ-2,北京三里屯店,,NORTH,北京,三里屯路19号,39.9334,116.4551,0",
        ]
    ).replace(",,NORTH", ",1900000202,NORTH")
    result = run_import(app, tmp_path, text + "\n", bom=True)
    assert result.exit_code == 0, result.output
    assert "3 store(s): 2 created, 1 updated" in result.output
    rows = store_rows(app)
    assert rows["HZ-1"] == ("杭州湖滨店", org.fa, True)
    assert rows["SH-A"][0] == "上海A店(新)"
    assert rows["BJ-2"] == ("北京三里屯店", org.fb, False)


def test_franchisee_by_name(app, tmp_path, org):
    text = (
        "code,name,franchisee_name,region_code,city,address,latitude,longitude,is_open\n"
        "HZ-9,杭州九店,Alpha Jewels,EAST,杭州,,30.2,120.1,\n"
    )
    result = run_import(app, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert store_rows(app)["HZ-9"] == ("杭州九店", org.fa, True)


def test_bad_file_imports_nothing(app, tmp_path, org):
    text = "\n".join(
        [
            HEADER,
            "OK-1,好店,1900000201,EAST,杭州,地址,30.2,120.1,1",
            "BAD 2,,1900009999,MARS,杭州,地址,95,120.1,maybe",
            "OK-1,重复,1900000201,EAST,杭州,地址,30.2,abc,1",
        ]
    )
    result = run_import(app, tmp_path, text)
    assert result.exit_code == 1
    output = result.output
    assert "nothing was imported" in output
    for expected in [
        "line 3: code:",
        "line 3: name: required",
        "line 3: no franchisee with sub_mch_id 1900009999",
        "line 3: region_code: no region MARS",
        "line 3: latitude: must be between -90 and 90",
        "line 3: is_open:",
        "line 4: longitude: not a number",
        "line 4: code OK-1 repeats line 2",
    ]:
        assert expected in output, expected
    assert "line 2" not in output.replace("repeats line 2", "")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Store)) == 2


def test_missing_columns(app, tmp_path, org):
    result = run_import(app, tmp_path, "code,name\nX,Y\n")
    assert result.exit_code == 1
    assert "line 1: missing column(s)" in result.output


def test_not_utf8(app, tmp_path, org):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "\nA,杭州,1900000201,EAST,杭州,,30,120,1\n").encode("gbk"))
    result = app.test_cli_runner().invoke(args=["franchise", "import-stores", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
