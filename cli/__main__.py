"""``python -m cli`` runs yoshiki."""

from cli.main import main

main()
