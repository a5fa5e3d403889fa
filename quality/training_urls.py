"""The training, qualification and member-onboarding routes (included by loupe.urls)."""

from django.urls import path

from projects import member_apis
from quality import training_apis

api = [
    path(
        "projects/<int:project_id>/training/",
        training_apis.TrainingStatusApi.as_view(),
        name="api-project-training",
    ),
    path(
        "projects/<int:project_id>/training/exam/",
        training_apis.ExamStartApi.as_view(),
        name="api-project-exam-start",
    ),
    path(
        "projects/<int:project_id>/qualification/reset/",
        training_apis.QualificationResetApi.as_view(),
        name="api-project-qualification-reset",
    ),
    path(
        "projects/<int:project_id>/member-records/",
        training_apis.MemberRecordsApi.as_view(),
        name="api-project-member-records",
    ),
    path(
        "projects/<int:project_id>/accounts/",
        member_apis.ProjectAccountsApi.as_view(),
        name="api-project-accounts",
    ),
    path(
        "projects/<int:project_id>/invites/",
        member_apis.ProjectInvitesApi.as_view(),
        name="api-project-invites",
    ),
]
