from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from annotate import apis as annotate_apis
from annotate import assist_apis
from annotate import views as annotate_views
from loupe import apis as loupe_apis
from loupe import views
from pipelines import apis as pipeline_apis
from pipelines import views as pipeline_views
from projects import apis as project_apis
from projects import invite_views
from projects import views as project_views
from quality import apis as quality_apis
from quality import training_urls
from versioning import apis as versioning_apis
from versioning import views as versioning_views

api_v1 = [
    path("auth/token/", loupe_apis.TokenApi.as_view(), name="api-token"),
    path("projects/", project_apis.ProjectListCreateApi.as_view(), name="api-projects"),
    path("projects/<int:project_id>/", project_apis.ProjectDetailApi.as_view(), name="api-project"),
    path(
        "projects/<int:project_id>/members/",
        project_apis.ProjectMembersApi.as_view(),
        name="api-project-members",
    ),
    path(
        "projects/<int:project_id>/members/<int:user_id>/",
        project_apis.ProjectMemberDetailApi.as_view(),
        name="api-project-member",
    ),
    path(
        "projects/<int:project_id>/items/",
        project_apis.ProjectItemsApi.as_view(),
        name="api-project-items",
    ),
    path(
        "projects/<int:project_id>/queue/next/",
        annotate_apis.QueueNextApi.as_view(),
        name="api-queue-next",
    ),
    path(
        "projects/<int:project_id>/annotations/",
        annotate_apis.ProjectAnnotationsApi.as_view(),
        name="api-project-annotations",
    ),
    path("items/<int:item_id>/", project_apis.ItemDetailApi.as_view(), name="api-item"),
    path("items/<int:item_id>/image/", project_apis.ItemImageApi.as_view(), name="api-item-image"),
    path(
        "items/<int:item_id>/thumbnail/",
        project_apis.ItemThumbnailApi.as_view(),
        name="api-item-thumbnail",
    ),
    path(
        "items/<int:item_id>/annotation/",
        annotate_apis.ItemAnnotationApi.as_view(),
        name="api-item-annotation",
    ),
    path(
        "items/<int:item_id>/annotation/submit/",
        annotate_apis.ItemAnnotationSubmitApi.as_view(),
        name="api-item-annotation-submit",
    ),
    path("items/<int:item_id>/gold/", quality_apis.ItemGoldApi.as_view(), name="api-item-gold"),
    path(
        "items/<int:item_id>/feedback/",
        quality_apis.ItemFeedbackApi.as_view(),
        name="api-item-feedback",
    ),
    path("items/<int:item_id>/skip/", annotate_apis.ItemSkipApi.as_view(), name="api-item-skip"),
    path(
        "items/<int:item_id>/assist/", assist_apis.ItemAssistApi.as_view(), name="api-item-assist"
    ),
    path(
        "annotations/<int:document_id>/",
        annotate_apis.AnnotationDetailApi.as_view(),
        name="api-annotation",
    ),
    path(
        "annotations/<int:document_id>/revisions/",
        annotate_apis.AnnotationRevisionsApi.as_view(),
        name="api-annotation-revisions",
    ),
    path(
        "annotations/<int:document_id>/review/",
        annotate_apis.AnnotationReviewApi.as_view(),
        name="api-annotation-review",
    ),
    path(
        "annotations/<int:document_id>/comments/",
        annotate_apis.AnnotationCommentsApi.as_view(),
        name="api-annotation-comments",
    ),
    path(
        "projects/<int:project_id>/review/next/",
        annotate_apis.ReviewNextApi.as_view(),
        name="api-review-next",
    ),
    path(
        "projects/<int:project_id>/progress/",
        annotate_apis.ProjectProgressApi.as_view(),
        name="api-project-progress",
    ),
    path(
        "projects/<int:project_id>/versions/",
        versioning_apis.ProjectVersionsApi.as_view(),
        name="api-project-versions",
    ),
    path(
        "projects/<int:project_id>/imports/",
        versioning_apis.ProjectImportsApi.as_view(),
        name="api-project-imports",
    ),
    path(
        "items/<int:item_id>/predictions/",
        versioning_apis.ItemPredictionsApi.as_view(),
        name="api-item-predictions",
    ),
    path(
        "projects/<int:project_id>/version-tags/<str:name>/",
        versioning_apis.VersionTagApi.as_view(),
        name="api-version-tag",
    ),
    path(
        "versions/<str:version_id>/", versioning_apis.VersionDetailApi.as_view(), name="api-version"
    ),
    path(
        "versions/<str:version_id>/manifest/",
        versioning_apis.VersionManifestApi.as_view(),
        name="api-version-manifest",
    ),
    path(
        "versions/<str:version_id>/diff/",
        versioning_apis.VersionDiffApi.as_view(),
        name="api-version-diff",
    ),
    path(
        "versions/<str:version_id>/items/",
        versioning_apis.VersionItemsApi.as_view(),
        name="api-version-items",
    ),
    path(
        "versions/<str:version_id>/index/",
        versioning_apis.VersionIndexApi.as_view(),
        name="api-version-index",
    ),
    path(
        "versions/<str:version_id>/exports/",
        versioning_apis.VersionExportsApi.as_view(),
        name="api-version-exports",
    ),
    path("jobs/<int:job_id>/", versioning_apis.JobDetailApi.as_view(), name="api-job"),
    path(
        "jobs/<int:job_id>/download/",
        versioning_apis.JobDownloadApi.as_view(),
        name="api-job-download",
    ),
    path(
        "annotations/<int:document_id>/score/",
        quality_apis.AnnotationScoreApi.as_view(),
        name="api-annotation-score",
    ),
    path(
        "projects/<int:project_id>/quality/",
        quality_apis.ProjectQualityApi.as_view(),
        name="api-project-quality",
    ),
    path(
        "projects/<int:project_id>/quality/dashboard/",
        quality_apis.ProjectQualityDashboardApi.as_view(),
        name="api-project-quality-dashboard",
    ),
    path(
        "versions/<str:version_id>/pipelines/",
        pipeline_apis.VersionPipelinesApi.as_view(),
        name="api-version-pipelines",
    ),
    path(
        "versions/<str:version_id>/features/",
        pipeline_apis.VersionFeaturesApi.as_view(),
        name="api-version-features",
    ),
    path(
        "versions/<str:version_id>/sql/",
        pipeline_apis.VersionSqlApi.as_view(),
        name="api-version-sql",
    ),
    path(
        "projects/<int:project_id>/features/",
        pipeline_apis.ProjectFeaturesApi.as_view(),
        name="api-project-features",
    ),
    path(
        "projects/<int:project_id>/queue-priority/",
        pipeline_apis.ProjectQueuePriorityApi.as_view(),
        name="api-project-queue-priority",
    ),
    path(
        "pipeline-runs/<int:run_id>/",
        pipeline_apis.PipelineRunDetailApi.as_view(),
        name="api-pipeline-run",
    ),
    path("ping/", views.PingApi.as_view(), name="api-ping"),
    *training_urls.api,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("healthz/", views.healthz, name="healthz"),
    path("projects/new/", project_views.project_new, name="project-new"),
    path("projects/<int:project_id>/", project_views.project_page, name="project"),
    path("projects/<int:project_id>/label/", annotate_views.label_page, name="label"),
    path("items/<int:item_id>/label/", annotate_views.label_item_page, name="label-item"),
    path("projects/<int:project_id>/review/", annotate_views.review_page, name="review"),
    path("invite/<str:token>/", invite_views.invite_page, name="invite"),
    path("versions/<str:version_id>/diff/", versioning_views.diff_page, name="version-diff"),
    path("versions/<str:version_id>/query/", pipeline_views.query_page, name="version-query"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
