from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        from projects.events import label_usage_requested, labels_changed
        from quality import schema_changes

        label_usage_requested.connect(schema_changes.label_usage, dispatch_uid="quality-usage")
        labels_changed.connect(schema_changes.labels_rewrite, dispatch_uid="quality-rewrite")

        from quality import subscriptions

        subscriptions.connect()
