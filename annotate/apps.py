from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"

    def ready(self) -> None:
        from annotate.leases import member_claims_release
        from projects.events import member_removed, subscribe

        subscribe(member_removed, member_claims_release)
