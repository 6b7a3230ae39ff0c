from warroom.cli import app

app()
