"""The JSON API's runbook feedback: the tally and the last answers (`GET /api/runbooks/<slug>`, `/api/insights`)."""

from collections.abc import Callable

from kb.alerting.feedback import RunbookFeedbackSummary


def feedback_json(feedback: RunbookFeedbackSummary, *, url: Callable) -> dict:
    """`url(obj)`: the absolute address of an object's page."""
    return {
        "yes": feedback.yes,
        "partly": feedback.partly,
        "no": feedback.no,
        "last": [
            {
                "answer": answer.answer,
                "note": answer.note,
                "user": answer.user.get_username() if answer.user else None,
                "incident": url(answer.incident) if answer.incident else None,
                "created_at": answer.created_at.isoformat(),
            }
            for answer in feedback.last
        ],
    }


def feedback_counts_json(runbook) -> dict:
    """The tally of a runbook annotated by `kb.alerting.feedback.runbooks_annotated`."""
    return {"yes": runbook.feedback_yes, "partly": runbook.feedback_partly, "no": runbook.feedback_no}
