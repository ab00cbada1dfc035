"""Who may post notifications: a bearer token or basic auth, as Alertmanager's http_config sends them."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass


@dataclass(frozen=True, repr=False)
class WebhookAuth:
    """The accepted credentials (none: anyone on the network may post). Never printed."""

    token: str = ""
    username: str = ""
    password: str = ""

    def __repr__(self) -> str:
        return "WebhookAuth(***)"

    @property
    def required(self) -> bool:
        return bool(self.token or self.username)

    def allows(self, authorization: str | None) -> bool:
        """Whether the Authorization header carries the accepted credentials (compared in constant time)."""
        if not self.required:
            return True
        scheme, _, value = (authorization or "").partition(" ")
        if self.token and scheme.lower() == "bearer":
            return hmac.compare_digest(value.strip().encode(), self.token.encode())
        if self.username and scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            same_user = hmac.compare_digest(user.encode(), self.username.encode())
            return hmac.compare_digest(password.encode(), self.password.encode()) and same_user
        return False
