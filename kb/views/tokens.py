"""Your personal API tokens: make one (shown once), see when each was last used, revoke one."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from kb.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it: “Grafana links”, “chat bot”.")
    can_write = forms.BooleanField(
        required=False, label="May write", help_text="Never more than you may; read-only unless ticked."
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        _record, made = ApiToken.issue(
            user=request.user, name=form.cleaned_data["name"], can_write=form.cleaned_data["can_write"]
        )
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "kb/token_list.html", {"form": form, "tokens": tokens, "made": made})


@login_required
@require_POST
def token_revoke(request, pk):
    get_object_or_404(ApiToken, pk=pk, user=request.user).revoke()
    return redirect("/accounts/tokens/")
