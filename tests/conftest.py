from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROADMAPS = ROOT / "roadmaps"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture
def write_roadmap(tmp_path: Path):
    """Write a roadmap text to a file and return its path."""

    def write(text: str, name: str = "roadmap.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


HEADER = """\
id: test-roadmap
title: Тестовая дорожная карта
academic_year: 2024-2025
timezone: Asia/Irkutsk
people:
  toropkina: {name: Торопкина А.А., position: заместитель директора, contacts: {email: t@school.example}}
  volkova: {name: Волкова Л.А., position: педагог-психолог, supervisor: toropkina, contacts: {telegram: "123456"}}
events:
  testing: {title: Тестирование ЕМ СПТ, start: 2024-10-01, end: 2024-10-15}
"""
