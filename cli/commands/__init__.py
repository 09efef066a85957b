"""One module per ``yoshiki`` subcommand; each defines ``command``."""
