"""Evidence with a verifiable chain of custody.

The pure core: `merkle` (RFC 6962 trees and proofs), `custody` (records, hash chain, Ed25519
signatures, tree heads), `files` (content-addressed, streamed storage), `casejson` (CASE/UCO
JSON-LD) and `package` (export and offline verification). `service` is the seam to the store.
Nothing is imported here so that `bigfish.evidence.package` runs without a database.
"""
