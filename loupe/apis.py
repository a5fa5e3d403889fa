"""Authentication endpoints (v1)."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common import ratelimit
from common.openapi import error_responses


class TokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    def get_authenticate_header(self, request: Request) -> str:
        # Without one, DRF answers wrong credentials with 403 instead of 401.
        return "Token"

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(401, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        username = payload.validated_data["username"]
        wait = ratelimit.login_attempt(request, username)
        if wait is not None:
            raise Throttled(wait=wait, detail="Too many attempts; try again later.")
        user = authenticate(request, username=username, password=payload.validated_data["password"])
        if user is None or not user.is_active:
            raise AuthenticationFailed("Wrong username or password.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
