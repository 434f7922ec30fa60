"""Cooperation requests between partners (preservation, production, MLA, takedown, payment
freeze or recall) with their legal basis, deadline and audited status workflow, and the 24/7
point-of-contact directory. `model` is pure; `service` is the seam to the store."""
