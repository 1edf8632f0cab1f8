"""Constants and small helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROADMAPS = ROOT / "roadmaps"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

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
