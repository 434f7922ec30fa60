"""Tables of the web application: browser sessions.

A session is kept on the server: the cookie carries a random token, the table only its SHA-256
hash, so a copy of the database does not let anyone sign in. Signing out or disabling the user
ends the session on the next request.
"""

from __future__ import annotations

import sqlalchemy as sa

from bigfish.store.schema import UTCDateTime, metadata

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),  # the synchronizer token of forms
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)
