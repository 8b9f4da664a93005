"""WeCom temporary media (``media/upload`` type=image) through the wechatpy client against
the sandbox: a PNG gets a media_id valid 3 days; wrong type, non-image, empty, missing and
over-10-MB uploads are refused with WeCom's errcodes."""

from __future__ import annotations

import struct
import zlib

import pytest

from app.wechat import wecom
from app.wechat.clients import wecom_client
from app.wechat.errors import WeChatAPIError
from app.wechat.sandbox.wecom import MEDIA_TTL, media_valid


def tiny_png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\xd7\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_png_upload_gives_a_media_id_valid_three_days(app, sandbox):
    media_id = wecom.upload_image("ring.png", tiny_png())
    stored = sandbox.data["media"][media_id]
    assert stored["type"] == "image" and stored["filename"] == "ring.png"
    assert stored["size"] == len(tiny_png())
    assert stored["expires_at"] - stored["created_at"] == MEDIA_TTL == 3 * 86400
    assert media_valid(sandbox, media_id)
    sandbox.advance(MEDIA_TTL - 60)
    assert media_valid(sandbox, media_id)
    sandbox.advance(120)
    assert not media_valid(sandbox, media_id)
    assert not media_valid(sandbox, "mediaSBXunknown")


def test_answer_shape(app, sandbox, client):
    token = wecom_client().access_token
    res = client.post(
        f"/_sandbox/qyapi/cgi-bin/media/upload?access_token={token}&type=image",
        data={"media": (__import__("io").BytesIO(tiny_png()), "a.png")},
        content_type="multipart/form-data",
    )
    body = res.get_json()
    assert body["errcode"] == 0 and body["type"] == "image"
    assert body["media_id"].startswith("mediaSBX") and body["created_at"].isdigit()


@pytest.mark.parametrize(
    ("filename", "data", "errcode"),
    [
        ("notes.txt", b"just some text, not an image", 40005),
        ("fake.png", b"GIF89a" + b"\x00" * 20, 40005),
        ("empty.png", b"", 44001),
        ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024), 40009),
    ],
    ids=["text", "gif", "empty", "over-10-MB"],
)
def test_bad_files_are_refused_with_wecoms_errcodes(app, sandbox, filename, data, errcode):
    with pytest.raises(WeChatAPIError) as err:
        wecom.upload_image(filename, data)
    assert err.value.errcode == errcode
    assert sandbox.data["media"] == {}


def test_wrong_type_and_missing_file(app, sandbox, client):
    token = wecom_client().access_token
    url = f"/_sandbox/qyapi/cgi-bin/media/upload?access_token={token}"
    assert client.post(url + "&type=voice").get_json()["errcode"] == 40004
    assert client.post(url + "&type=image").get_json()["errcode"] == 41005
    assert client.post(url.replace(token, "bad") + "&type=image").get_json()["errcode"] != 0
