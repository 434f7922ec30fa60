"""Tables of the web application: browser sessions and the page figures kept between processes.

A session is kept on the server: the cookie carries a random token, the table only its SHA-256
hash, so a copy of the database does not let anyone sign in. Signing out or disabling the user
ends the session on the next request.

`page_figures` keeps the last slow figures of each viewer (the overview statistics, the ranking
of networks) so that a new server process serves them at once; `bigfish.web.stored_figures`
writes and reads it, `bigfish.web.freshness` decides when its rows may be served.
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

page_figures = sa.Table(
    "page_figures",
    metadata,
    # SHA-256 of what decides what the viewer sees: organization, groups, operator.
    sa.Column("viewer", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),  # overview | ranking
    sa.Column("shape", sa.String(16), nullable=False),  # digest of the value's declared type
    sa.Column("version", sa.Text, nullable=False),  # the data version computed at, as JSON
    sa.Column("computed_at", UTCDateTime, nullable=False),
    sa.Column("length", sa.Integer),  # how many items a sequence has; NULL for another value
    # The value as JSON, or the first items of a sequence one per line (read with the row) and
    # its other items (read when used): the page that shows five networks reads no more.
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("rest", sa.Text),
    # What a sequence's filters need of every item, read with `rest` (`bigfish.web.facets`).
    sa.Column("facets", sa.Text),
)
