"""Researchers' polls: a builder, the anonymous public page `/p/<token>`, results with margins, exports."""
