"""What people need help with, and the languages we serve."""
from __future__ import annotations

CATEGORIES = ("computer", "printer", "phone_tablet", "internet_wifi", "tv", "smart_home", "other")
LANGUAGES = ("de", "en", "fr", "it")
MODES = ("onsite", "remote")
# Skill levels per category: 1 = can help with the basics, 2 = experienced, 3 = specialist.
SKILL_LEVELS = (1, 2, 3)
