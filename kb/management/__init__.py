"""Django management commands (`commands`): `python manage.py <name>`, one thin module per command."""
