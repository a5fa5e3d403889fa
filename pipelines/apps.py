from typing import Any

from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"

    def ready(self) -> None:
        from pipelines import services
        from pipelines.item_features import PipelineFeatures
        from projects import item_features

        item_features.register(PipelineFeatures())
        from pipelines.selectors import VersionFeatureTables
        from versioning import version_features

        version_features.register(VersionFeatureTables())
        from versioning.jobs import JobContext, job_kind_register
        from versioning.models import JobKind

        def pipeline(context: JobContext) -> dict[str, Any]:
            return services.pipeline_run_execute(job=context.job, progress=context.progress)

        job_kind_register(JobKind.PIPELINE, pipeline)
