from django.apps import AppConfig


class VersioningConfig(AppConfig):
    name = "versioning"

    def ready(self) -> None:
        from versioning import imports, services
        from versioning.jobs import JobContext, job_kind_register
        from versioning.models import JobKind

        def snapshot(context: JobContext) -> dict:
            return services.version_snapshot(job=context.job, progress=context.progress)

        def export(context: JobContext) -> dict:
            return services.version_export(job=context.job, progress=context.progress)

        def project_import(context: JobContext) -> dict:
            return imports.project_import(job=context.job, progress=context.progress)

        job_kind_register(JobKind.SNAPSHOT, snapshot)
        job_kind_register(JobKind.IMPORT, project_import)
        job_kind_register(JobKind.EXPORT, export)
