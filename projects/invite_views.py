"""The invite page: a person with a one-time link chooses a username and password, joins the
project as an annotator and is logged in."""

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from common.errors import Invalid
from projects.services import invite_accept, invite_usable


@never_cache
def invite_page(request: HttpRequest, token: str) -> HttpResponse:
    invite = invite_usable(token=token)
    if invite is None:
        return render(request, "projects/invite.html", {"invalid": True}, status=404)
    context = {"project": invite.project, "errors": {}, "username": ""}
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        context["username"] = username
        if password != request.POST.get("password2", ""):
            context["errors"] = {"password2": ["The two passwords differ."]}
        else:
            try:
                membership = invite_accept(token=token, username=username, password=password)
            except Invalid as exc:
                context["errors"] = exc.errors
            else:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("project", project_id=membership.project_id)
        return render(request, "projects/invite.html", context, status=400)
    return render(request, "projects/invite.html", context)
