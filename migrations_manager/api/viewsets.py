"""The viewsets of ``/api/migrations/``: parse with a serializer, call ``services``, render.

Every viewset takes ``ApiDefaults``: JSON only, the body limit checked before anything reads
the body, reads guarded by ``CanViewMigrations``, errors in the contract's shape. An ``@action``
that changes the target names its own permission class.
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from .. import audit, services, targets
from ..conf import target_name
from ..exceptions import MigrationNotFound, RequestNotFound, UsageError
from ..models import MigrationRun
from ..sources import ascii_digits
from ..web import actor_of
from .exceptions import exception_handler
from .fleet_serializers import (
    FleetQuerySerializer,
    FleetReportSerializer,
    FleetRowSerializer,
    FleetRunRequestSerializer,
)
from .parsers import LimitedJSONParser, check_declared_length
from .permissions import (
    CanApproveMigrations,
    CanMarkMigrations,
    CanRunMigrations,
    CanTerminateSessions,
    CanViewHistory,
    CanViewMigrations,
)
from .preflight_serializers import (
    CheckReportSerializer,
    DetectSchemaRequestSerializer,
    DriftReportSerializer,
    PreviewQuerySerializer,
    PreviewSerializer,
    RunProgressSerializer,
    SchemaReportSerializer,
    TerminateRequestSerializer,
    TerminationSerializer,
)
from .request_serializers import (
    ChangeRequestCreateSerializer,
    ChangeRequestSerializer,
    DecisionSerializer,
    RequestQuerySerializer,
    RequestRunSerializer,
)
from .serializers import (
    HISTORY_MAX_PAGE_SIZE,
    HISTORY_PAGE_SIZE,
    ErrorSerializer,
    FrameworkQuerySerializer,
    HistoryQuerySerializer,
    IdempotentRunSerializer,
    LockRefusedSerializer,
    MarkFailedSerializer,
    MarkRequestSerializer,
    MarkResultSerializer,
    MigrationRunSerializer,
    RunRequestSerializer,
    StatusReportSerializer,
)

# What any endpoint may answer besides its own bodies (401/403 from authentication and
# permissions, 404 for an unknown target, 413/415 from the body, 503 when the target does not
# answer).
COMMON_ERRORS: dict[int, Any] = {
    400: OpenApiResponse(ErrorSerializer, "Invalid body, query or migration name."),
    401: OpenApiResponse(ErrorSerializer, "No valid token or session."),
    403: OpenApiResponse(ErrorSerializer, "The user lacks the permission (or the CSRF token)."),
    404: OpenApiResponse(ErrorSerializer, "No target of the `?target=` name."),
    413: OpenApiResponse(ErrorSerializer, "The body is over MAX_BODY_BYTES."),
    415: OpenApiResponse(ErrorSerializer, "The body is not JSON."),
    503: OpenApiResponse(ErrorSerializer, "The target database is unreachable or not set up."),
}


NO_SUCH_FILE = OpenApiResponse(ErrorSerializer, "No migration file of that name.")
NO_SUCH_RUN = OpenApiResponse(ErrorSerializer, "No run of that id.")
NO_SUCH_REQUEST = OpenApiResponse(ErrorSerializer, "No change request of that id.")
REQUEST_REFUSED = OpenApiResponse(
    LockRefusedSerializer, "Not in a state that allows it (`refused`: `state`)."
)
# A path parameter the view reads itself: whatever it is, the answer is the API's JSON (a
# narrower route would leave a malformed id to Django's HTML 404).
ANY_SEGMENT = r"[^/]+"
RUN_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The run's id.")
REQUEST_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The change request's id."
)
PID = OpenApiParameter("pid", int, OpenApiParameter.PATH, description="The session's pid.")
TARGET = OpenApiParameter(
    "target",
    str,
    OpenApiParameter.QUERY,
    description="(ext) The target database (default: `default`, the environment's); an "
    "unknown name is a 404.",
)


def _run_id(text: str) -> int:
    """The run id a path gives.

    Raises:
        MigrationNotFound: it is no run id (no run has it).
    """
    return _path_id(text, MigrationNotFound(f"No migration run {text!r}."))


def _request_id(text: str) -> int:
    """The change request id a path gives.

    Raises:
        RequestNotFound: it is no request id (no request has it).
    """
    return _path_id(text, RequestNotFound(f"No change request {text!r}."))


def _path_id(text: str, missing: Exception) -> int:
    if not ascii_digits(text):
        raise missing
    return int(text)


def responses(own: dict[int, Any]) -> dict[int, Any]:
    """An endpoint's own answers, and ``COMMON_ERRORS``."""
    return {**COMMON_ERRORS, **own}


class ApiDefaults:
    """What every viewset of the API shares (a mixin for ViewSet and GenericViewSet alike)."""

    # A token (``rest_framework.authtoken``) or the admin's session with its CSRF token, whatever
    # the project's REST_FRAMEWORK defaults: the token first, so that an anonymous request gets
    # 401 with ``WWW-Authenticate: Token`` rather than a bare 403.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [CanViewMigrations]
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]
    request: Request

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # A context of the request's own: the target it selects ends with it.
        dispatch = super().dispatch  # type: ignore[misc]
        return contextvars.copy_context().run(dispatch, request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        check_declared_length(request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # After authentication: an anonymous caller learns nothing of the targets' names.
        targets.select(request.query_params.get("target"))

    def get_exception_handler(self) -> Any:
        # The app's own handler even in a project whose REST_FRAMEWORK names another.
        return exception_handler

    def parsed(self, serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
        """``data`` validated by ``serializer_class``; a refusal is a 400 with its messages."""
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def actor(self) -> audit.Actor:
        return actor_of(self.request, source=MigrationRun.Source.API)


@extend_schema(tags=["pre-flight"])
class MigrationsViewSet(ApiDefaults, viewsets.ViewSet):
    """``check`` (a POST, as the seed has it, though it changes nothing),
    ``preview/{filename}`` and ``drift``."""

    @extend_schema(
        summary="Safety check: pending migrations, waiting locks, busy transactions, blockers",
        parameters=[FrameworkQuerySerializer, TARGET],
        request=None,
        responses=responses({200: CheckReportSerializer}),
    )
    @action(detail=False, methods=["post"])
    def check(self, request: Request) -> Response:
        """``safe`` is true only when ``warnings`` is empty; nothing is changed."""
        query = self.parsed(FrameworkQuerySerializer, request.query_params)
        return Response(CheckReportSerializer(services.check(**query)).data)

    @extend_schema(
        summary="A migration file's content, line count, sections and lint findings",
        parameters=[PreviewQuerySerializer, TARGET],
        responses=responses(
            {
                200: PreviewSerializer,
                400: OpenApiResponse(ErrorSerializer, "Not a file name, or a bad query."),
                404: NO_SUCH_FILE,
            }
        ),
    )
    # Any path after preview/ (slashes, newlines: [\s\S], not ".") reaches the service, which
    # refuses what is not a plain file name with a JSON 400, not the resolver's HTML 404.
    @action(detail=False, methods=["get"], url_path=r"preview/(?P<filename>[\s\S]*)")
    def preview(self, request: Request, filename: str) -> Response:
        """Works while the target is down (without table sizes or node-pg-migrate's SQL). The
        SQL of a ``.cjs`` file (``sql``) comes only for a user who may run migrations: building
        it runs the file's function; nobody else makes code of a migration file run."""
        query = self.parsed(PreviewQuerySerializer, request.query_params)
        run_code = CanRunMigrations().has_permission(request, self)
        result = services.preview(filename, run_code=run_code, **query)
        return Response(PreviewSerializer(result).data)

    @extend_schema(
        summary="Drift: the live database against a replay of its applied migrations",
        parameters=[FrameworkQuerySerializer],
        responses=responses(
            {
                200: DriftReportSerializer,
                409: OpenApiResponse(ErrorSerializer, "A run holds the lock past LOCK_WAIT."),
            }
        ),
    )
    @action(detail=False, methods=["get"])
    def drift(self, request: Request) -> Response:
        """Every extra, missing and changed object with the DDL that brings the live database to
        the migrations' shape (``drifted``); pending files are not drift. Code migrations are
        never run: they are listed in ``not_replayed``."""
        query = self.parsed(FrameworkQuerySerializer, request.query_params)
        return Response(DriftReportSerializer(services.drift(**query)).data)


@extend_schema(tags=["idempotent"])
class IdempotentViewSet(ApiDefaults, viewsets.ViewSet):
    """``idempotent/...``: status, run, mark-applied on the detected tracking table, and
    detect-schema."""

    @extend_schema(
        summary="Every migration's state against the tracking table in use",
        parameters=[FrameworkQuerySerializer, TARGET],
        responses=responses({200: StatusReportSerializer}),
    )
    @action(detail=False, methods=["get"])
    def status(self, request: Request) -> Response:
        """States: applied, pending, modified, orphaned, failed; ``?framework=`` picks a table."""
        query = self.parsed(FrameworkQuerySerializer, request.query_params)
        report = services.status(**query)
        return Response(StatusReportSerializer(report).data)

    @extend_schema(
        summary="Run pending migrations, segment after segment, writing the framework's own rows",
        parameters=[FrameworkQuerySerializer, TARGET],
        request=RunRequestSerializer,
        responses=responses(
            {
                200: IdempotentRunSerializer,
                409: OpenApiResponse(
                    LockRefusedSerializer,
                    "Nothing ran: the safety gate refuses (`gate.errors`; give a `reason` to "
                    "run anyway), another run (or the framework) holds the lock, the files "
                    "changed since `expect`, or `atomic` and several segments.",
                ),
                411: OpenApiResponse(ErrorSerializer, "A body without a length (chunked)."),
                422: OpenApiResponse(
                    IdempotentRunSerializer,
                    "A migration failed: its segment rolled back; earlier segments stay.",
                ),
            }
        ),
    )
    @action(detail=False, methods=["post"], permission_classes=[CanRunMigrations])
    def run(self, request: Request) -> Response:
        """All pending migrations, or the named ones; 422 when one fails (its segment rolls back;
        ``failed.kept`` lists what earlier segments applied)."""
        query = self.parsed(FrameworkQuerySerializer, request.query_params)
        body = self.parsed(RunRequestSerializer, request.data)
        report = services.run_pending(
            body.get("migrations"),
            actor=self.actor(),
            atomic=body["atomic"],
            expect=body.get("expect"),
            reason=body.get("reason", ""),
            lock_retries=body.get("lock_retries"),
            **query,
        )
        return Response(IdempotentRunSerializer(report).data, status=200 if report.ok else 422)

    @extend_schema(
        summary="Record a migration as applied without running it",
        parameters=[FrameworkQuerySerializer, TARGET],
        request=MarkRequestSerializer,
        responses=responses(
            {
                200: MarkResultSerializer,
                404: NO_SUCH_FILE,
                409: OpenApiResponse(LockRefusedSerializer, "A run is in progress."),
                422: OpenApiResponse(MarkFailedSerializer, "Writing the tracking row failed."),
            }
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="mark-applied",
        permission_classes=[CanMarkMigrations],
    )
    def mark_applied(self, request: Request) -> Response:
        """Writes the framework-native row without running anything; once only."""
        query = self.parsed(FrameworkQuerySerializer, request.query_params)
        body = self.parsed(MarkRequestSerializer, request.data)
        result = services.mark_applied(
            body["migration"], actor=self.actor(), reason=body.get("reason", ""), **query
        )
        return Response(MarkResultSerializer(result).data)

    @extend_schema(
        summary="Which objects the SQL (or a migration) creates already exist on the target",
        parameters=[FrameworkQuerySerializer, TARGET],
        request=DetectSchemaRequestSerializer,
        responses=responses(
            {
                200: SchemaReportSerializer,
                400: OpenApiResponse(
                    ErrorSerializer, "SQL that does not parse (with line, column), a bad body."
                ),
                404: NO_SUCH_FILE,
            }
        ),
    )
    @action(detail=False, methods=["post"], url_path="detect-schema")
    def detect_schema(self, request: Request) -> Response:
        """Parsed by PostgreSQL's parser first; one catalog query answers for every object."""
        query = self.parsed(FrameworkQuerySerializer, request.query_params)
        body = self.parsed(DetectSchemaRequestSerializer, request.data)
        return Response(SchemaReportSerializer(services.detect_schema(**body, **query)).data)


class HistoryPagination(PageNumberPagination):
    page_size = HISTORY_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = HISTORY_MAX_PAGE_SIZE


@extend_schema_view(
    list=extend_schema(
        summary="Runs and marks recorded in the audit log, newest first",
        parameters=[HistoryQuerySerializer, TARGET],
        responses=responses(
            {
                200: MigrationRunSerializer(many=True),
                404: OpenApiResponse(ErrorSerializer, "No such page."),
            }
        ),
    )
)
@extend_schema(tags=["history"])
class HistoryViewSet(ApiDefaults, mixins.ListModelMixin, viewsets.GenericViewSet):
    """``history``: the audit log, paginated, filtered by outcome and user."""

    permission_classes = [CanViewHistory]
    serializer_class = MigrationRunSerializer
    pagination_class = HistoryPagination

    def get_queryset(self) -> QuerySet[MigrationRun]:
        query = self.parsed(HistoryQuerySerializer, self.request.query_params)
        target = target_name() if "target" in self.request.query_params else None
        return audit.history(outcome=query.get("outcome"), actor=query.get("user"), target=target)


@extend_schema(tags=["live control"])
class RunsViewSet(ApiDefaults, viewsets.ViewSet):
    """``runs/{id}``: a run's progress, live; ``runs/{id}/cancel``: cancel it."""

    permission_classes = [CanViewHistory]
    lookup_value_regex = ANY_SEGMENT

    @extend_schema(
        summary="A run: its outcome and, while it runs, its migration and live statement",
        parameters=[RUN_ID],
        responses=responses({200: RunProgressSerializer, 404: NO_SUCH_RUN}),
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(RunProgressSerializer(services.run_progress(_run_id(pk))).data)

    @extend_schema(
        summary="Cancel a running run: its statement is cancelled, its segment rolled back",
        parameters=[RUN_ID],
        request=None,
        responses=responses(
            {
                200: RunProgressSerializer,
                400: OpenApiResponse(ErrorSerializer, "The run is not running."),
                404: NO_SUCH_RUN,
            }
        ),
    )
    @action(detail=True, methods=["post"], permission_classes=[CanRunMigrations])
    def cancel(self, request: Request, pk: str) -> Response:
        """``pg_cancel_backend`` of the run's session; the run's log ends ``cancelled``."""
        progress = services.cancel_run(_run_id(pk), actor=self.actor())
        return Response(RunProgressSerializer(progress).data)


@extend_schema(tags=["live control"])
class SessionsViewSet(ApiDefaults, viewsets.ViewSet):
    """``sessions/{pid}/terminate``: end a session the safety check lists as a blocker."""

    permission_classes = [CanTerminateSessions]
    lookup_field = "pid"
    lookup_value_regex = ANY_SEGMENT

    @extend_schema(
        summary="End a session that blocks the pending migrations (pg_terminate_backend)",
        parameters=[PID],
        request=TerminateRequestSerializer,
        responses=responses(
            {
                200: TerminationSerializer,
                400: OpenApiResponse(
                    ErrorSerializer, "No reason, or the session blocks no pending migration."
                ),
            }
        ),
    )
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pid: str) -> Response:
        """Only a session the check, made now, lists as blocking; with a reason (audited)."""
        body = self.parsed(TerminateRequestSerializer, request.data)
        if not ascii_digits(pid):
            raise UsageError(f"{pid!r} is not a session's pid.")
        result = services.terminate_session(
            int(pid),
            actor=self.actor(),
            reason=body["reason"],
            framework=body.get("framework") or None,
        )
        return Response(TerminationSerializer(result).data)


def decision_schema(summary: str) -> Any:
    """The schema of an approver's decision: a comment in, the request out."""
    return extend_schema(
        summary=summary,
        parameters=[REQUEST_ID],
        request=DecisionSerializer,
        responses=responses(
            {200: ChangeRequestSerializer, 404: NO_SUCH_REQUEST, 409: REQUEST_REFUSED}
        ),
    )


@extend_schema(tags=["change requests"])
class RequestsViewSet(ApiDefaults, viewsets.ViewSet):
    """``requests``: runs asked for, approved by another user, executed bound to their plan."""

    permission_classes = [CanViewHistory]
    lookup_value_regex = ANY_SEGMENT

    def get_permissions(self) -> list[Any]:
        if self.action == "create":
            return [CanRunMigrations()]
        return super().get_permissions()

    @extend_schema(
        summary="The change requests, newest first",
        parameters=[RequestQuerySerializer],
        responses=responses({200: ChangeRequestSerializer(many=True)}),
    )
    def list(self, request: Request) -> Response:
        query = self.parsed(RequestQuerySerializer, request.query_params)
        found = services.list_requests(state=query.get("state"))
        return Response(ChangeRequestSerializer(found, many=True).data)

    @extend_schema(
        summary="A change request: its plan, exact SQL, check and approvals",
        parameters=[REQUEST_ID],
        responses=responses({200: ChangeRequestSerializer, 404: NO_SUCH_REQUEST}),
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        found = services.get_request(_request_id(pk))
        return Response(ChangeRequestSerializer(found).data)

    @extend_schema(
        summary="Ask for a run: its plan and check are kept for the approvers; nothing runs",
        parameters=[FrameworkQuerySerializer],
        request=ChangeRequestCreateSerializer,
        responses=responses({201: ChangeRequestSerializer}),
    )
    def create(self, request: Request) -> Response:
        query = self.parsed(FrameworkQuerySerializer, request.query_params)
        body = self.parsed(ChangeRequestCreateSerializer, request.data)
        created = services.create_request(
            body.get("migrations"),
            actor=self.actor(),
            reason=body["reason"],
            not_before=body.get("not_before"),
            not_after=body.get("not_after"),
            only_when_safe=body["only_when_safe"],
            framework=query.get("framework") or None,
        )
        return Response(ChangeRequestSerializer(created).data, status=201)

    @decision_schema("Approve a pending request (never its own requester: 403)")
    @action(detail=True, methods=["post"], permission_classes=[CanApproveMigrations])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(services.approve_request, pk)

    @decision_schema("Reject a pending or approved request: it never runs")
    @action(detail=True, methods=["post"], permission_classes=[CanApproveMigrations])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(services.reject_request, pk)

    def _decide(self, decide: Any, pk: str) -> Response:
        body = self.parsed(DecisionSerializer, self.request.data)
        decided = decide(_request_id(pk), actor=self.actor(), comment=body["comment"])
        return Response(ChangeRequestSerializer(decided).data)

    @extend_schema(
        summary="Execute an approved request, bound to the plan its approvers saw",
        parameters=[REQUEST_ID],
        request=None,
        responses=responses(
            {
                200: RequestRunSerializer,
                404: NO_SUCH_REQUEST,
                409: OpenApiResponse(
                    LockRefusedSerializer,
                    "Nothing ran: not approved, expired, outside its window, or the plan "
                    "changed since approval (`refused`: `approval`, `details` says what).",
                ),
                422: OpenApiResponse(RequestRunSerializer, "A migration failed."),
            }
        ),
    )
    @action(detail=True, methods=["post"], permission_classes=[CanRunMigrations])
    def execute(self, request: Request, pk: str) -> Response:
        request_id = _request_id(pk)
        report = services.execute_request(request_id, actor=self.actor())
        context = {"change_request": services.get_request(request_id)}
        body = RequestRunSerializer(report, context=context).data
        return Response(body, status=200 if report.ok else 422)


FLEET_RUN_ID = OpenApiParameter(
    "run_id", int, OpenApiParameter.PATH, description="The fleet run's id."
)


@extend_schema(tags=["fleets"])
class FleetViewSet(ApiDefaults, viewsets.ViewSet):
    """``fleet/status``: every target side by side; ``fleet/runs``: runs across targets."""

    @extend_schema(
        summary="(ext) Every target's status side by side, read in parallel",
        parameters=[FleetQuerySerializer],
        responses=responses({200: FleetRowSerializer(many=True)}),
    )
    @action(detail=False, methods=["get"])
    def status(self, request: Request) -> Response:
        """An unreachable target is a row with its error, never the whole answer's failure."""
        query = self.parsed(FleetQuerySerializer, request.query_params)
        rows = services.fleet_status(query.get("tag"), query.get("filter"))
        return Response(FleetRowSerializer(rows, many=True).data)

    @extend_schema(
        summary="(ext) Run the pending migrations of the targets (with a tag), target by target",
        request=FleetRunRequestSerializer,
        responses=responses(
            {202: FleetReportSerializer, 404: OpenApiResponse(ErrorSerializer, "No target.")}
        ),
    )
    @action(detail=False, methods=["post"], permission_classes=[CanRunMigrations])
    def runs(self, request: Request) -> Response:
        """Starts the run and answers at once (202): ``fleet/runs/{id}`` follows it."""
        body = self.parsed(FleetRunRequestSerializer, request.data)
        fleet_id = services.start_fleet_run(actor=self.actor(), **body)
        return Response(FleetReportSerializer(services.fleet_run(fleet_id)).data, status=202)

    @extend_schema(
        summary="(ext) A fleet run: each target's state, error, SQLSTATE and audit run",
        parameters=[FLEET_RUN_ID],
        responses=responses({200: FleetReportSerializer, 404: NO_SUCH_RUN}),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=rf"runs/(?P<run_id>{ANY_SEGMENT})",
        permission_classes=[CanViewHistory],
    )
    def fleet_run(self, request: Request, run_id: str) -> Response:
        return Response(FleetReportSerializer(services.fleet_run(_run_id(run_id))).data)
