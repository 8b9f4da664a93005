"""WeCom temporary media (``media/upload``) through the wechatpy client against the sandbox:
a PNG gets a media_id valid 3 days; video (MP4) and file media too; a bad ``type`` is
40005, a file that does not meet its type 40004 (301017 a voice file not AMR), a size
outside its type's range 40009 / 40011 / 40006 / 301016, an empty one 44001 — WeCom's
全局错误码 (before, 40004 and 40005 were swapped and video / file refused)."""

from __future__ import annotations

import pytest
from wechatpy.exceptions import WeChatClientException

from app.wechat import wecom
from app.wechat.clients import wecom_client
from app.wechat.errors import WeChatAPIError
from app.wechat.sandbox.wecom import MEDIA_TTL, media_valid
from tests.fixtures.media import tiny_png

MB = 1024 * 1024
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16
AMR = b"#!AMR\n" + b"\x3c" * 32


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
        ("notes.txt", b"just some text, not an image", 40004),
        ("fake.png", b"GIF89a" + b"\x00" * 20, 40004),
        ("empty.png", b"", 44001),
        ("tiny.png", b"\x89PNG", 40009),
        ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024), 40009),
    ],
    ids=["text", "gif", "empty", "5-bytes", "over-10-MB"],
)
def test_bad_files_are_refused_with_wecoms_errcodes(app, sandbox, filename, data, errcode):
    with pytest.raises(WeChatAPIError) as err:
        wecom.upload_image(filename, data)
    assert err.value.errcode == errcode
    assert sandbox.data["media"] == {}


def test_wrong_type_and_missing_file(app, sandbox, client):
    token = wecom_client().access_token
    url = f"/_sandbox/qyapi/cgi-bin/media/upload?access_token={token}"
    assert client.post(url + "&type=thumb").get_json()["errcode"] == 40005
    assert client.post(url).get_json()["errcode"] == 40005
    assert client.post(url + "&type=image").get_json()["errcode"] == 44001
    assert client.post(url.replace(token, "bad") + "&type=image").get_json()["errcode"] != 0
    with pytest.raises(WeChatClientException) as raw:  # the unchanged wechatpy client
        wecom_client().media.upload("thumb", ("a.png", tiny_png(), "image/png"))
    assert raw.value.errcode == 40005


def test_video_and_file_media_are_accepted(app, sandbox):
    video = wecom.upload_media("video", "launch.mp4", MP4)
    doc = wecom.upload_media("file", "price-list.pdf", b"%PDF-1.4 price list")
    voice = wecom.upload_media("voice", "hello.amr", AMR)
    assert [sandbox.data["media"][m]["type"] for m in (video, doc, voice)] == [
        "video",
        "file",
        "voice",
    ]
    assert all(media_valid(sandbox, m) for m in (video, doc, voice))


@pytest.mark.parametrize(
    ("media_type", "filename", "data", "errcode"),
    [
        ("video", "clip.mp4", b"not an mp4 at all", 40004),
        ("video", "big.mp4", MP4 + b"\x00" * (10 * MB), 40011),
        ("voice", "a.mp3", b"ID3" + b"\x00" * 20, 301017),
        ("voice", "long.amr", AMR + b"\x00" * (2 * MB), 301016),
        ("file", "five.txt", b"12345", 40006),
        ("file", "huge.zip", b"PK" + b"\x00" * (20 * MB), 40006),
        ("file", "empty.txt", b"", 44001),
    ],
    ids=[
        "not-mp4",
        "video-over-10-MB",
        "voice-not-amr",
        "voice-over-2-MB",
        "file-5-bytes",
        "file-over-20-MB",
        "file-empty",
    ],
)
def test_each_types_rules(app, sandbox, media_type, filename, data, errcode):
    with pytest.raises(WeChatAPIError) as err:
        wecom.upload_media(media_type, filename, data)
    assert err.value.errcode == errcode
    assert sandbox.data["media"] == {}


def test_a_send_refuses_a_media_id_of_another_type(app, sandbox):
    chat_id = sandbox.create_groups([{"owner": "guide-a", "members": [{"userid": "wmM1"}]}])[0]
    video = wecom.upload_media("video", "launch.mp4", MP4)
    as_image = [{"msgtype": "image", "image": {"media_id": video}}]
    with pytest.raises(WeChatAPIError) as err:
        wecom.add_msg_template(wecom.group_send_body("guide-a", [chat_id], "", as_image))
    assert err.value.errcode == 40007
    as_video = [{"msgtype": "video", "video": {"media_id": video}}]
    assert wecom.add_msg_template(wecom.group_send_body("guide-a", [chat_id], "", as_video))
