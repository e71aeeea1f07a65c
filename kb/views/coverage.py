"""/coverage/: which alerts of the rule files in KB_RULE_FILES have a runbook here."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kb.alerting.coverage import read_rules, rules_coverage


@require_safe
def coverage(request):
    files, rules, errors = read_rules(paths=settings.KB_RULE_FILES)
    report = rules_coverage(files=files, rules=rules, base_url=settings.KB_BASE_URL, errors=errors)
    return render(request, "kb/coverage_report.html", {"coverage": report, "configured": bool(settings.KB_RULE_FILES)})
