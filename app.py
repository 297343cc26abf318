"""Web chat entry point: ``python app.py`` (or ``make run``) serves the chat on QA_HOST:QA_PORT."""

import logging
import sys

from qa.config import load_settings
from qa.errors import QAError
from qa.web import launch

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    try:
        launch(load_settings())
    except QAError as exc:
        sys.exit(f"error: {exc}")
