"""The playbooks Tenure ships: lead welcome, onboarding, win-back, NPS follow-up (YAML)."""

from pathlib import Path

FOLDER = Path(__file__).parent
