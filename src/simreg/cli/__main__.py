from simreg.cli.main import app

app(prog_name="simreg")
