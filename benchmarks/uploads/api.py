"""HTTP API v1, uploads: send a metrics or survey file (or JSON records), read its status and errors. Thin."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from benchmarks.uploads import ingest
from benchmarks.uploads.jobs import validate_submission
from benchmarks.uploads.models import Submission, SubmissionKind
from benchmarks.uploads.schemas import (
    SubmissionFileSchema,
    SubmissionFormSchema,
    SubmissionRecordsSchema,
    SubmissionSchema,
)
from core import jobs
from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.errors import InvalidInput
from core.openapi import id_links
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission

blp = Blueprint("uploads_api", __name__, url_prefix="/api/v1", description="Metrics and survey uploads")


_SUBMISSION = "/api/v1/orgs/{slug}/submissions/{submission_id}"
# the body is read by hand (a file or JSON records), so the document names the schemas the view loads
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": SubmissionFileSchema},
        "application/json": {"schema": SubmissionRecordsSchema},
    },
}


@blp.route("/orgs/<slug>/submissions")
class Submissions(MethodView):
    @requires(Permission.UPLOAD)
    @blp.response(202, SubmissionSchema)
    @blp.doc(
        requestBody=_UPLOAD_BODY, **id_links(202, "submission_id", {"GetSubmission": ("get", _SUBMISSION)})
    )
    @blp.alt_response(413, description="The file is larger than the limit")
    def post(self, org: Organisation) -> Submission:
        """Upload a metrics or survey file (multipart `file` + form `kind`) or JSON `{"kind", "records"}`."""
        if request.is_json:
            data = SubmissionRecordsSchema().load(request.get_json(silent=True) or {})
            submission = ingest.receive_records(
                db.session,
                org,
                current_user,
                SubmissionKind(data["kind"]),
                data["records"],
                storage_root=settings_of(current_app).storage_path,
                now=utcnow(),
            )
        else:
            upload = request.files.get("file")
            if upload is None:
                raise InvalidInput(
                    "Send the file as multipart field `file`, or JSON records.",
                    [{"field": "file", "message": "missing"}],
                )
            form = SubmissionFormSchema().load({"kind": request.form.get("kind", "metrics")})
            submission = ingest.receive_submission(
                db.session,
                org,
                current_user,
                SubmissionKind(form["kind"]),
                upload.stream,
                upload.filename or "",
                storage_root=settings_of(current_app).storage_path,
                max_bytes=settings_of(current_app).max_upload_bytes,
                now=utcnow(),
            )
        if not submission.is_final:
            jobs.enqueue(db.session(), validate_submission, org.id, submission.id)
        return submission

    @requires(Permission.VIEW)
    @blp.response(200, SubmissionSchema(many=True))
    def get(self, org: Organisation) -> list[Submission]:
        """The organisation's submissions, newest first."""
        return ingest.list_submissions(db.session, org)


@blp.route("/orgs/<slug>/submissions/<int:submission_id>")
class SubmissionDetail(MethodView):
    @requires(Permission.VIEW)
    @blp.response(200, SubmissionSchema)
    def get(self, org: Organisation, submission_id: int) -> Submission:
        """Status, progress, counts and errors of one submission."""
        return ingest.get_submission(db.session, org, submission_id)
