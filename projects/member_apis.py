"""Managers bring annotators in (v1): new accounts with a generated password, or one-time
invite links."""

from typing import cast

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import services
from projects.access import project_for
from projects.models import Role


class AccountOutputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField()
    password = serializers.CharField(help_text="Shown this once: only its hash is stored.")


class ProjectAccountsApi(APIView):
    """Create an annotator account in the project; the answer carries its password once."""

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)

    @extend_schema(request=InputSerializer, responses={201: AccountOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership, password = services.annotator_account_create(
            project=project, username=payload.validated_data["username"].strip()
        )
        data = {
            "user_id": membership.user_id,
            "username": membership.user.username,
            "role": membership.role,
            "password": password,
        }
        return Response(AccountOutputSerializer(data).data, status=status.HTTP_201_CREATED)


class InviteOutputSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The one-time link, shown this once.")
    role = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ProjectInvitesApi(APIView):
    """Create a one-time invite link: whoever opens it first chooses a username and password
    and joins as an annotator, until it expires."""

    class InputSerializer(serializers.Serializer):
        days = serializers.IntegerField(min_value=1, max_value=90, default=7)

    @extend_schema(request=InputSerializer, responses={201: InviteOutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project, _ = project_for(request.user, project_id, needed=Role.MANAGER)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invite, token = services.invite_create(
            project=project, by=cast(User, request.user), days=payload.validated_data["days"]
        )
        data = {
            "url": request.build_absolute_uri(f"/invite/{token}/"),
            "role": invite.role,
            "expires_at": invite.expires_at,
        }
        return Response(InviteOutputSerializer(data).data, status=status.HTTP_201_CREATED)
