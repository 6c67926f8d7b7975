"""Which event types the projections read: every type the tracker and report need, by key."""

from console.projector import HANDLERS
from kerjalokal.events import EVENT_TYPES


def test_every_handled_type_is_in_the_contract_and_parses_its_example() -> None:
    for event_type, (model, _) in HANDLERS.items():
        assert EVENT_TYPES[event_type] is model
        assert model.model_validate_json(model.example().model_dump_json()) == model.example()


def test_the_figures_read_the_events_the_issue_names() -> None:
    needed = {
        "registry.resident_registered.v1",
        "registry.resident_status_changed.v1",
        "vacancies.company_verified.v1",
        "vacancies.partnership_signed.v1",
        "vacancies.vacancy_published.v1",
        "vacancies.vacancy_closed.v1",
        "vacancies.resident_hired.v1",
        "training.resident_enrolled.v1",
        "training.enrollment_withdrawn.v1",
        "training.training_completed.v1",
        "training.readiness_assessed.v1",
        "training.resident_waitlisted.v1",
        "training.apprenticeship_started.v1",
        "training.programme_opened.v1",
    }
    assert needed <= set(HANDLERS)
