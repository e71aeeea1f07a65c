"""The knowledge model, one module per area: documents (runbooks, post-mortems and notes) and their parts
(`documents`), alerts and incidents (`alerting`), entities and mentions (`entities`), the search index
(`search`), whether a runbook helped (`feedback`), personal API tokens (`tokens`), Git syncs (`gitsync`), and
the name constraints they share and the lookup by name whatever its case (`constraints`).

Every model is imported here, so that Django finds them all and `from kb.models import X` works for
each one: import from `kb.models`, not from the modules inside.
"""

from kb.models.alerting import Alert, AlertManager, Incident, IncidentOrigin, IncidentStatus
from kb.models.constraints import named_any_case
from kb.models.documents import (
    DOCUMENT_TEXTS,
    Document,
    DocumentKind,
    FollowUp,
    FollowUpQuerySet,
    FollowUpStatus,
    Lesson,
    Note,
    PostMortem,
    ResolutionEntry,
    Revision,
    Runbook,
    Section,
)
from kb.models.entities import (
    Entity,
    EntityAlias,
    EntityKind,
    Mention,
    entities_named,
    entity_ids_named,
    entity_url,
)
from kb.models.feedback import FeedbackAnswer, RunbookFeedback
from kb.models.gitsync import GitSync, GitSyncAction, GitSyncOutcome
from kb.models.search import WHOLE_ROWS_SQL, SearchEntry, SearchKind, SearchScope, SearchTerm
from kb.models.tokens import ApiToken

# The newest write to any document and to any incident (created, edited, archived, resolved: each sets its
# `updated_at`), each read from the end of its index: what pages' stamps and search's kept answers start with.
NEWEST_WRITES_SQL = (
    f"(SELECT MAX(updated_at) FROM {Document._meta.db_table}), (SELECT MAX(updated_at) FROM {Incident._meta.db_table})"
)

__all__ = [
    "NEWEST_WRITES_SQL",
    "WHOLE_ROWS_SQL",
    "DOCUMENT_TEXTS",
    "Alert",
    "AlertManager",
    "ApiToken",
    "Document",
    "DocumentKind",
    "Entity",
    "EntityAlias",
    "EntityKind",
    "entity_url",
    "FeedbackAnswer",
    "FollowUp",
    "FollowUpQuerySet",
    "FollowUpStatus",
    "GitSync",
    "GitSyncAction",
    "GitSyncOutcome",
    "Incident",
    "IncidentOrigin",
    "IncidentStatus",
    "Lesson",
    "Mention",
    "Note",
    "PostMortem",
    "ResolutionEntry",
    "Revision",
    "Runbook",
    "RunbookFeedback",
    "SearchEntry",
    "SearchKind",
    "SearchScope",
    "SearchTerm",
    "Section",
    "entities_named",
    "entity_ids_named",
    "named_any_case",
]
