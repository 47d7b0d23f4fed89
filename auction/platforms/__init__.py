"""Rounds run on outside judicial-auction platforms (网拍规定 Art. 2–5): published, updated and withdrawn
through the outbound client, results back as signed webhooks (docs/AUCTION_PLATFORM_PROTOCOL.md)."""
