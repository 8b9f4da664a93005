"""Staff accounts (HQ, franchise owners, guides) with hashed passwords and roles.

Customers of the mini-program are not accounts: they hold bearer tokens naming their
customer id. The franchise/store/guide ids here are scope keys, not foreign keys, so
that ``app`` knows no domain table; the franchise domain keeps them consistent.
"""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.clock import utcnow
from app.extensions import Model

HQ_ADMIN = "hq_admin"
HQ_OPERATOR = "hq_operator"
FRANCHISE_OWNER = "franchise_owner"
GUIDE = "guide"
CUSTOMER = "customer"
STAFF_ROLES = (HQ_ADMIN, HQ_OPERATOR, FRANCHISE_OWNER, GUIDE)
HQ_ROLES = (HQ_ADMIN, HQ_OPERATOR)
ADMIN_UI_ROLES = (HQ_ADMIN, HQ_OPERATOR, FRANCHISE_OWNER)


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(20), index=True)
    franchisee_id: Mapped[int | None] = mapped_column(index=True)
    store_id: Mapped[int | None] = mapped_column(index=True)
    guide_id: Mapped[int | None] = mapped_column(index=True)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    token_version: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.is_active_account)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_hq(self) -> bool:
        return self.role in HQ_ROLES

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
