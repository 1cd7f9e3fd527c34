"""Document adapter: the guide's letters and the account list as PDF (reportlab)."""
