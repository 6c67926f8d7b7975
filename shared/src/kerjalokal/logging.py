"""Logging for every service: one line per record, and personal data redacted on the way out.

Code never logs NIKs, phones or emails on purpose; the filter is the second line of defence for
what slips through an exception message or a library's log line.
"""

import logging
import re

_PATTERNS = (
    (re.compile(r"(?<!\d)\d{16}(?!\d)"), "[NIK]"),
    (re.compile(r"(?<![\w+])(?:\+?62|0)8\d{7,12}(?!\d)"), "[PHONE]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[EMAIL]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


# The AMQP client libraries dump whole frames at DEBUG, message bodies included: the contact
# details on the restricted exchange would land in the log (names and street addresses cannot be
# recognised by the redaction above). They log at INFO at most, whatever the root level.
WIRE_LOGGERS = ("aiormq", "aio_pika")


def quiet_wire_loggers() -> None:
    for name in WIRE_LOGGERS:
        wire = logging.getLogger(name)
        if wire.level < logging.INFO:  # NOTSET (0) follows the root, DEBUG and all
            wire.setLevel(logging.INFO)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    quiet_wire_loggers()
