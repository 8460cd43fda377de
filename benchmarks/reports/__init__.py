"""Comparison reports: board-ready PDFs of where an organisation sits against its peer cohorts (DESIGN 8)."""
