from pilar.cli import app

app()
