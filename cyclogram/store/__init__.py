"""Persistent state: roadmap versions, stage completions, evidence and the audit log (SQLModel)."""
