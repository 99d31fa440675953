"""Plans (kế hoạch): import of appendices, "6 rõ", storage."""
