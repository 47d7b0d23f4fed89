"""``python -m api`` runs the ``carenforce`` command."""

from api.cli import app

app(prog_name="carenforce")
