"""Web chat entry point: ``python app.py`` (or ``make run``)."""

from qa.cli import main

if __name__ == "__main__":
    main()
