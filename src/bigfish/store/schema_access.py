"""Tables of the partnership API: API keys, users, the audit log, webhooks, allowed peers and the
blinded-form index used by privacy-preserving matching.

Secrets: an API key is stored only as its SHA-256 hash; a user password only as an argon2 hash;
a webhook secret is kept (it signs every delivery) and is never exported or logged.
"""

from __future__ import annotations

import sqlalchemy as sa

from bigfish.store.schema import UTCDateTime, metadata

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),  # SHA-256 hex of the key
    sa.Column("prefix", sa.String(12), nullable=False),  # first characters, to tell keys apart
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("platform", sa.Boolean, nullable=False, default=False),  # a platform administrator
    sa.Column("label", sa.String(200)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),  # argon2id
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("disabled_at", UTCDateTime),
)

# One row per request through the API, chained: row_hash = SHA-256(prev_hash | the row's fields).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", sa.String(40), nullable=False),  # ISO 8601 UTC, exactly as hashed
    sa.Column("actor", sa.String(120), nullable=False),  # "key:12", "user:alice", "anonymous"
    sa.Column("org", sa.String(100)),
    sa.Column("action", sa.String(300), nullable=False),  # "GET /api/v1/lookup"
    sa.Column("target", sa.String(1000)),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False),
)

# The head of the chain: the last seq and hash. Writers lock this row, so the chain is one line
# even with several server processes; verification compares it with the last row.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False),
    # the node key's Ed25519 signature of (seq, row_hash) (`bigfish.audit.head_message`), and
    # that key's fingerprint: without the key, rows cannot be rewritten and the head re-chained
    sa.Column("signature", sa.String(128)),
    sa.Column("signed_by", sa.String(64)),
    # the chain's random id (`bigfish.audit.new_chain_id`), made when it starts and signed into
    # every head: the node's marks are kept per chain, so a data directory may serve several
    # databases, and another database's chain is not this one
    sa.Column("chain_id", sa.String(32)),
)

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.String(64), nullable=False),  # HMAC key of the signature header
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Outgoing calls to these exact origins (scheme://host:port) may reach private addresses.
allowed_peers = sa.Table(
    "allowed_peers",
    metadata,
    sa.Column("origin", sa.String(300), primary_key=True),
    sa.Column("note", sa.String(500)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Blinded forms of valid identifiers under each sharing group's community key, filled on demand.
blind_index = sa.Table(
    "blind_index",
    metadata,
    sa.Column("group_id", sa.ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("identifier_id", sa.ForeignKey("identifiers.id"), primary_key=True),
    sa.Column("blinded", sa.String(64), nullable=False),
    sa.Index("ix_blind_index_group_id_blinded", "group_id", "blinded"),
)
