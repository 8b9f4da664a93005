"""Image attachments uploaded to WeCom media: through the admin form (multipart, a small
PNG) and the service; files checked (JPG/PNG, ≤ 10 MB) and the post validated before
anything is uploaded; the saved post carries the sandbox's media_id."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from community.models import ContentPost
from community.services import content
from tests.community.factories_delivery import gen_image_post
from tests.fixtures.auth import csrf_token_from, login
from tests.fixtures.media import tiny_png


@pytest.fixture
def media(app):
    from app.wechat.sandbox import sandbox_state

    return sandbox_state(app).data["media"]


def test_service_uploads_then_saves_with_the_media_id(ctx, media):
    before = set(media)
    post = gen_image_post()
    (media_id,) = set(media) - before
    assert media[media_id]["filename"] == "ring.png"
    saved = db.session.get(ContentPost, post.id)
    assert saved.attachments == [{"msgtype": "image", "image": {"media_id": media_id}}]


def test_bad_file_or_bad_post_uploads_nothing(ctx, media):
    before = set(media)
    base = {"title": "t", "purpose": "knowledge", "text": "x"}
    image = [{"msgtype": "image", "image": {}}]
    with pytest.raises(content.PostInvalid) as err:
        content.save_post_with_uploads({**base, "attachments": image}, {0: ("a.txt", b"hello")})
    assert err.value.errors["attachments.0.image.file"] == ["The image must be a JPG or PNG file."]
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * content.MAX_IMAGE_BYTES
    with pytest.raises(content.PostInvalid) as err:
        content.save_post_with_uploads({**base, "attachments": image}, {0: ("b.png", big)})
    assert "10485760" in err.value.errors["attachments.0.image.file"][0]
    with pytest.raises(content.PostInvalid) as err:  # text too long: the file is not sent
        content.save_post_with_uploads(
            {**base, "text": "a" * 4001, "attachments": image}, {0: ("ok.png", tiny_png())}
        )
    assert "text" in err.value.errors
    assert set(media) == before
    assert db.session.scalar(select(ContentPost.id)) is None


def test_admin_form_uploads_a_png(client, org, app, media):
    login(client, "hq")
    page = client.get("/admin/content/new")
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="att-0-file"' in html
    before = set(media)
    form = {
        "csrf_token": csrf_token_from(html),
        "title": "新品",
        "purpose": "new_product",
        "text": "新品到店",
        "att-0-type": "image",
        "att-0-file": (io.BytesIO(tiny_png()), "ring.png"),
    }
    response = client.post("/admin/content/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    (media_id,) = set(media) - before
    with app.app_context():
        post = db.session.scalars(select(ContentPost)).one()
        assert post.attachments == [{"msgtype": "image", "image": {"media_id": media_id}}]
    bad = {**form, "att-0-file": (io.BytesIO(b"not an image"), "x.png")}
    bad["csrf_token"] = csrf_token_from(client.get("/admin/content/new").get_data(as_text=True))
    response = client.post("/admin/content/new", data=bad, content_type="multipart/form-data")
    assert response.status_code == 422
    error = re.search(
        r'data-error-for="attachments.0.image.file">([^<]+)<', response.get_data(as_text=True)
    )
    assert error and error.group(1).strip()
    assert set(media) - before == {media_id}
    # above the app's 2 MB body limit, within WeCom's 10 MB: accepted
    three_mb = {**form, "att-0-file": (io.BytesIO(tiny_png() + b"\0" * 3_000_000), "big.png")}
    three_mb["csrf_token"] = csrf_token_from(
        client.get("/admin/content/new").get_data(as_text=True)
    )
    response = client.post("/admin/content/new", data=three_mb, content_type="multipart/form-data")
    assert response.status_code == 303
    assert len(set(media) - before) == 2
