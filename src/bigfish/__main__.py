"""`python -m bigfish` runs the command line."""

from bigfish.cli import main

main()
