"""RAG schemes: which ratings a plan uses and what each one means, printed on every report."""

from dataclasses import dataclass

from app.core.models import Rag, RagScheme, Stage


@dataclass(frozen=True, slots=True)
class Rating:
    key: str
    label: str
    letter: str
    meaning: str


SCHEMES: dict[str, tuple[Rating, ...]] = {
    RagScheme.rag3: (
        Rating(Rag.green, "Green", "G", "On track: delivery on time is expected."),
        Rating(Rag.amber, "Amber", "A", "At risk or slipping: issues are being managed."),
        Rating(
            Rag.red,
            "Red",
            "R",
            "Off track: delivery on time is unlikely without corrective action.",
        ),
    ),
    RagScheme.dca5: (
        Rating(
            Rag.green,
            "Green",
            "G",
            "Successful delivery on time appears highly likely; no major outstanding issues.",
        ),
        Rating(
            Rag.amber_green,
            "Amber/Green",
            "A/G",
            "Successful delivery appears probable; constant attention will be needed.",
        ),
        Rating(
            Rag.amber,
            "Amber",
            "A",
            "Successful delivery appears feasible but significant issues already exist.",
        ),
        Rating(
            Rag.amber_red,
            "Amber/Red",
            "A/R",
            "Successful delivery is in doubt, with major risks or issues in a number of areas.",
        ),
        Rating(
            Rag.red,
            "Red",
            "R",
            "Successful delivery appears unachievable without corrective action.",
        ),
    ),
}

SCHEME_NAMES = {
    RagScheme.rag3: "Green / Amber / Red",
    RagScheme.dca5: "Delivery Confidence Assessment (five point)",
}

# What a column or field of ratings is headed: the five-point scheme is a delivery confidence
# assessment, and its plans (the police strategy) call it so.
RATING_HEADINGS = {
    RagScheme.rag3: "RAG",
    RagScheme.dca5: "Delivery confidence",
}


def rating_heading(scheme: str) -> str:
    """The heading of a plan's ratings: "Delivery confidence" (five-point) or "RAG"."""
    return RATING_HEADINGS[RagScheme(scheme)]


# Worst first, so comparing positions tells improved from worsened.
SEVERITY = {Rag.green: 0, Rag.amber_green: 1, Rag.amber: 2, Rag.amber_red: 3, Rag.red: 4}

STAGE_LABELS = {
    Stage.not_started: "Not started",
    Stage.in_progress: "In progress",
    Stage.complete: "Complete",
    Stage.carried_forward: "Carried forward",
    Stage.withdrawn: "Withdrawn",
}

RAG_LABELS = {rating.key: rating.label for rating in SCHEMES[RagScheme.dca5]}
RAG_LETTERS = {rating.key: rating.letter for rating in SCHEMES[RagScheme.dca5]}


def ratings(scheme: str) -> tuple[Rating, ...]:
    return SCHEMES[RagScheme(scheme)]


def allowed_rags(scheme: str) -> list[str]:
    return [rating.key for rating in ratings(scheme)]
