from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"

    def ready(self) -> None:
        from annotate import schema_changes
        from projects.events import label_usage_requested, labels_changed

        label_usage_requested.connect(schema_changes.label_usage, dispatch_uid="annotate-usage")
        labels_changed.connect(schema_changes.labels_rewrite, dispatch_uid="annotate-rewrite")

        from annotate.leases import member_claims_release
        from projects.events import member_removed, subscribe

        subscribe(member_removed, member_claims_release)
