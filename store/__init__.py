"""SQLModel tables, engine factory, migrations and the hand-tuned queries."""
