import csv
from importlib.resources import files


def read_rows(name: str) -> tuple[dict[str, str], ...]:
    text = files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))
