"""Cross-sell: purchase sequences, next best offers and their dismissals (docs/cross-sell.md)."""
