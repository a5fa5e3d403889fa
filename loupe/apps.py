from django.apps import AppConfig


class LoupeConfig(AppConfig):
    name = "loupe"
    verbose_name = "Loupe"
