"""The local runtime: the whole system on one machine, no AWS account. One process holds moto in server mode on
loopback (local AWS: DynamoDB, Cognito, and the Lambda backend that hands invocations to our handlers), and the
local API gateway in front of the real handlers. Tables, routes and handlers are the deployed ones."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import boto3
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

REGION = "ap-northeast-1"
TABLE_NAME = "furusato-local"
CHECKIN_KEYS_SECRET = "furusato-local/checkin-signing-keys"
CHECKIN_VERIFY_KEYS_SECRET = "furusato-local/checkin-verification-keys"
EVIDENCE_BUCKET = "furusato-local-evidence"
VERIFIER_SECRET = "furusato-local/verifier-keys"
VERIFIER_CLIENT_ID = "furusato-local"
VERIFICATION_CALLBACK = "/local/verification/callback"
MAIL_FROM = "no-reply@furusato.local"
APPROVAL_SECRET = "furusato-local/approval-keys"
MAX_LOCAL_DAYS = 800  # POST /local/days runs at most this many days in one request
# Locally an unanswered approval ends after a day of wall-clock time (moto's timeouts do not follow the clock).
APPROVAL_TIMEOUT_SECONDS = 24 * 3600  # stands in for the app's universal link
LOCAL_PASSWORD_POLICY = "8+ characters with upper and lower case letters, a digit and a symbol"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _configure_environment(moto_port: int) -> None:
    """Before any handler module is imported: every boto3 client goes to moto; handlers read the table name."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
            # moto's Step Functions interpreter calls back to localhost:$MOTO_PORT: it must be this server's port.
            "MOTO_PORT": str(moto_port),
            "TABLE_NAME": TABLE_NAME,
            "CHECKIN_KEYS_SECRET": CHECKIN_KEYS_SECRET,
            "CHECKIN_VERIFY_KEYS_SECRET": CHECKIN_VERIFY_KEYS_SECRET,
            "EVIDENCE_BUCKET": EVIDENCE_BUCKET,
            "VERIFIER_SECRET": VERIFIER_SECRET,
            "POWERTOOLS_SERVICE_NAME": "furusato-local",
            "POWERTOOLS_METRICS_NAMESPACE": "Furusato",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        }
    )
    os.environ.pop("AWS_PROFILE", None)


@dataclass
class Identity:
    user_pool_id: str
    client_id: str
    jwks_url: str
    issuer: str


@dataclass
class LocalRuntime:
    port: int = 3000
    admin_port: int | None = None  # default: port + 1 (0 with port 0: any free port)
    provider_port: int | None = None  # the development identity provider; default: port + 2 (any free with port 0)
    moto_port: int = 0
    host: str = "127.0.0.1"
    mail_to_terminal: bool = False  # `make run`: each e-mail SES receives, its subject and links printed
    _threads: list[threading.Thread] = field(default_factory=list)
    _servers: list = field(default_factory=list)

    def start(self) -> None:
        from local.motoserver import LocalMotoServer

        # One line per request from moto's and the gateways' servers would drown the walk-through.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.moto_port = self.moto_port or free_port()
        _configure_environment(self.moto_port)
        self._moto = LocalMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        moto_url = f"http://127.0.0.1:{self.moto_port}"
        requests.post(
            f"{moto_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
            timeout=5,
        ).raise_for_status()

        from local.dispatcher import LambdaDispatcher
        from local.seed import seed
        from shared.dal import aws
        from shared.dal.evidence import create_evidence_bucket
        from shared.dal.repository import Repository
        from shared.dal.secrets import create_signing_keys_secret
        from shared.dal.table import create_table
        from shared.functions import FUNCTIONS

        from local.streams import cheap_stream_copies

        cheap_stream_copies()  # the table's stream: moto's per-transaction table copies share its records
        dynamodb = aws.client("dynamodb")
        create_table(dynamodb, TABLE_NAME)
        seed(Repository(dynamodb, TABLE_NAME))
        create_signing_keys_secret(aws.client("secretsmanager"), CHECKIN_KEYS_SECRET, CHECKIN_VERIFY_KEYS_SECRET)
        create_evidence_bucket(aws.client("s3"), EVIDENCE_BUCKET)
        self.identity = self._create_citizen_pool()
        # The account function deletes sign-ins there (DELETE /me); known only now that moto made the pool.
        os.environ["CITIZEN_USER_POOL_ID"] = self.identity.user_pool_id
        from shared.config import settings

        settings.cache_clear()
        self.staff_identity = self._create_staff_pool()
        # The admin function signs staff in on the approval page there (shared/functions.py STAFF_SIGN_IN).
        os.environ.update({"STAFF_USER_POOL_ID": self.staff_identity.user_pool_id,
                           "STAFF_CLIENT_ID": self.staff_identity.client_id})
        settings.cache_clear()
        # The app gateway's port and the provider's are needed before the handlers are imported (the verify function
        # reads VERIFIER_PROVIDER at cold start): chosen now, served below.
        any_ports = self.port == 0
        app_server = make_server(self.host, self.port, _Deferred(), threaded=True)  # bound now: its port is known
        self.port = app_server.server_port
        admin_port = self.admin_port if self.admin_port is not None else (0 if any_ports else self.port + 1)
        admin_server = make_server(self.host, admin_port, _Deferred(), threaded=True)  # its URL goes into e-mails
        self.admin_port = admin_server.server_port
        self._start_identity_provider(any_port=any_ports)
        self._create_premium_workflow()
        from local.queues import QueueWorker, consumers_of, create_work_queues

        # The schedules' work queues (before the handlers are imported: renewal and expiry need their URLs at cold
        # start); a worker polls them as the deployed event source mappings deliver them (local/queues.py).
        queue_urls = create_work_queues(boto3.client("sqs"), "furusato-local-")
        os.environ.update(queue_urls)
        settings.cache_clear()
        self.dispatcher = LambdaDispatcher(FUNCTIONS)
        self.dispatcher.install_into_moto()
        self.queues = QueueWorker(boto3.client("sqs"), self.dispatcher.invoke, consumers_of(queue_urls))
        self._stop_polling = threading.Event()
        self._threads.append(self.queues.start(self._stop_polling))
        self._start_table_streams(moto_url)

        from local.gateway import CognitoVerifier, Gateway

        citizens = CognitoVerifier(self.identity.jwks_url, self.identity.issuer, self.identity.client_id)
        staff = CognitoVerifier(self.staff_identity.jwks_url, self.staff_identity.issuer, self.staff_identity.client_id)
        app_gateway = Gateway(self.dispatcher.invoke, {"app": citizens}, self._local_routes(), api="app")
        admin_gateway = Gateway(self.dispatcher.invoke, {"admin": staff}, self._admin_local_routes(), api="admin")
        app_server.app.target = app_gateway
        self._serve_bound(app_server, "app-gateway")
        admin_server.app.target = admin_gateway
        self._serve_bound(admin_server, "admin-gateway")
        if self.mail_to_terminal:
            from local.outbox import MailPrinter, describe

            self._mail_printer = MailPrinter(lambda mail: print(describe(mail), flush=True))
            self._threads.append(self._mail_printer.start())

    def _create_premium_workflow(self) -> None:
        """The functions in moto's Lambda, the state machines with the deployed definitions, SES's sender identity
        and the approval keys; their names and the approval page's URL into the handlers' settings (before the
        handlers are imported: each checks its settings at cold start)."""
        from local.workflows import create_state_machines, register_lambda_functions
        from shared.dal.approval_keys import create_approval_secret
        from shared.dal.mail import create_sender_identity
        from shared.functions import FUNCTIONS

        iam = boto3.client("iam")
        arns = register_lambda_functions(iam, boto3.client("lambda"), tuple(f.name for f in FUNCTIONS))
        machines = create_state_machines(iam, boto3.client("stepfunctions"), arns)
        create_sender_identity(boto3.client("sesv2"), MAIL_FROM)
        create_approval_secret(boto3.client("secretsmanager"), APPROVAL_SECRET)
        os.environ.update({
            "PREMIUM_STATE_MACHINE": machines["premium"],
            "MAIL_FROM": MAIL_FROM,
            "APPROVAL_SECRET": APPROVAL_SECRET,
            "APPROVAL_BASE_URL": self.admin_url,
            "APPROVAL_TIMEOUT_SECONDS": os.environ.get("APPROVAL_TIMEOUT_SECONDS", str(APPROVAL_TIMEOUT_SECONDS)),
        })
        from shared.config import settings

        settings.cache_clear()

    def _start_identity_provider(self, any_port: bool) -> None:
        """The development OpenID Connect provider (local/oidc_provider.py) on its own port, standing in for the
        Digital Agency's authentication app, and the verify function's client registered with it."""
        from local.oidc_provider import DevelopmentProvider
        from shared.dal.identity_provider import create_verifier_secret

        if self.provider_port is not None:
            port = self.provider_port or free_port()
        else:  # beside the gateways (:3002 with the default :3000), or anywhere free when they are
            port = free_port() if any_port else self.port + 2
        issuer = f"http://{self.host}:{port}"
        self.identity_provider = DevelopmentProvider(issuer)
        keys = create_verifier_secret(boto3.client("secretsmanager"), VERIFIER_SECRET)
        redirect_uri = f"{self.base_url}{VERIFICATION_CALLBACK}"
        self.identity_provider.register_client(VERIFIER_CLIENT_ID, keys.public_jwks(), [redirect_uri])
        os.environ["VERIFIER_PROVIDER"] = json.dumps(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks",
                "client_id": VERIFIER_CLIENT_ID,
                "redirect_uri": redirect_uri,
            }
        )
        from shared.config import settings

        settings.cache_clear()
        self.provider_port = self._serve(self.identity_provider, port, "identity-provider")

    @property
    def provider_url(self) -> str:
        return f"http://{self.host}:{self.provider_port}"

    def _serve(self, wsgi_app, port: int, name: str) -> int:
        return self._serve_bound(make_server(self.host, port, wsgi_app, threaded=True), name)

    def _serve_bound(self, server, name: str) -> int:
        thread = threading.Thread(target=server.serve_forever, daemon=True, name=name)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return server.server_port

    def _start_table_streams(self, moto_url: str) -> None:
        """The table's stream → the functions with a TableStream trigger (statistics), polled from a thread as the
        deployed event source mappings deliver it (local/streams.py: moto's own stream → Lambda path cannot be used)."""
        from local.streams import StreamPoller, StreamThread, item_types, stream_functions, streams_client
        from shared.dal import aws

        pollers = [
            StreamPoller(
                aws.client("dynamodb"), streams_client(moto_url), TABLE_NAME, item_types(declared),
                lambda event, name=declared.name: self.dispatcher.invoke(name, event),
            )
            for declared in stream_functions()
        ]
        log = logging.getLogger(__name__)
        self._streams = StreamThread(pollers, on_error=lambda error: log.warning("table stream: %s", error))
        self._streams.start()
        self._threads.append(self._streams)

    def stop(self) -> None:
        if getattr(self, "_stop_polling", None) is not None:
            self._stop_polling.set()
        if getattr(self, "_streams", None) is not None:
            self._streams.stop()
        if getattr(self, "_mail_printer", None) is not None:
            self._mail_printer.stop()
        for server in self._servers:
            server.shutdown()
        self._moto.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"http://{self.host}:{self.admin_port}"

    # --- set-up ----------------------------------------------------------------------------------------------------

    def _create_citizen_pool(self) -> Identity:
        cognito = boto3.client("cognito-idp")
        pool = cognito.create_user_pool(
            PoolName="furusato-citizens",
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            Policies={
                "PasswordPolicy": {
                    "MinimumLength": 8,
                    "RequireUppercase": True,
                    "RequireLowercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                }
            },
        )["UserPool"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool["Id"],
            ClientName="furusato-app",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]
        return self._identity(pool["Id"], client["ClientId"])

    def _identity(self, pool_id: str, client_id: str) -> Identity:
        return Identity(
            user_pool_id=pool_id,
            client_id=client_id,
            jwks_url=f"http://127.0.0.1:{self.moto_port}/{pool_id}/.well-known/jwks.json",
            issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
        )

    def _create_staff_pool(self) -> Identity:
        pool_id, client_id = create_staff_pool(boto3.client("cognito-idp"))
        return self._identity(pool_id, client_id)

    # --- local-only routes -----------------------------------------------------------------------------------------

    def _documentation_routes(self, api: str, base_url):
        """`base_url` is called per request: the ports are known only once the servers listen."""
        from local import openapi
        from local.gateway import json_response

        def openapi_json(_: Request) -> Response:
            document = openapi.build(api)
            document["servers"] = [{"url": base_url()}]
            return json_response(document)

        def docs(_: Request) -> Response:
            return Response(SWAGGER_HTML.replace("{title}", openapi.TITLES[api]), content_type="text/html; charset=utf-8")

        def asset(name: str, content_type: str):
            def serve(_: Request) -> Response:
                return Response((swagger_ui_assets() / name).read_bytes(), content_type=content_type)

            return serve

        def health(_: Request) -> Response:
            return json_response({"status": "ok", "moto": f"http://127.0.0.1:{self.moto_port}"})

        return {
            ("GET", "/openapi.json"): openapi_json,
            ("GET", "/docs"): docs,
            ("GET", "/docs/swagger-ui-bundle.js"): asset("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
            ("GET", "/docs/swagger-ui.css"): asset("swagger-ui.css", "text/css; charset=utf-8"),
            ("GET", "/local/health"): health,
        }

    def _local_routes(self):
        from local.gateway import json_response, problem_response

        cognito = boto3.client("cognito-idp")
        identity = self.identity

        def sign_in(request: Request) -> Response:
            """Sign in with e-mail and password; a new e-mail is signed up (and confirmed) first. Local only: the
            deployed app talks to Cognito directly."""
            data = _read_json(request)
            if not data or not isinstance(data.get("email"), str) or not isinstance(data.get("password"), str):
                return problem_response(422, "invalid-input", "入力内容に誤りがあります", "send {\"email\": ..., \"password\": ...}")
            email, password = data["email"], data["password"]
            try:
                cognito.sign_up(
                    ClientId=identity.client_id, Username=email, Password=password,
                    UserAttributes=[{"Name": "email", "Value": email}],
                )
                cognito.admin_confirm_sign_up(UserPoolId=identity.user_pool_id, Username=email)
            except cognito.exceptions.UsernameExistsException:
                pass
            except cognito.exceptions.InvalidPasswordException:
                return problem_response(422, "invalid-password", "パスワードが条件を満たしていません", LOCAL_PASSWORD_POLICY)
            except cognito.exceptions.InvalidParameterException as error:
                return problem_response(422, "invalid-input", "入力内容に誤りがあります", str(error))
            return _authenticate(cognito, identity, email, password)

        def move_clock(request: Request) -> Response:
            """Move the one clock: {"offset_days": 30} or {"now": "2027-04-01T09:00:00+09:00"} or {"reset": true}."""
            from shared import clock

            data = _read_json(request) or {}
            try:
                if data.get("reset"):
                    clock.reset()
                elif "now" in data:
                    clock.freeze(datetime.fromisoformat(data["now"]))
                elif "offset_days" in data:
                    clock.set_offset(timedelta(days=float(data["offset_days"])))
                else:
                    raise ValueError("send offset_days, now or reset")
            except (ValueError, TypeError) as error:
                return problem_response(422, "invalid-input", "入力内容に誤りがあります", str(error))
            return json_response({"now": clock.now().isoformat()})

        def fire_schedule(request: Request) -> Response:
            """Fire a schedule of shared/functions.py now (no EventBridge Scheduler locally): {"schedule": "<name>"};
            its work queue's messages are then handled before the answer (the run is done when it returns)."""
            data = _read_json(request) or {}
            try:
                result = self.dispatcher.fire(str(data.get("schedule")))
            except LookupError as error:
                return problem_response(404, "not-found", "ページが見つかりません", str(error))
            handled = self.queues.drain()
            return json_response({"schedule": data["schedule"], "result": result, "messages_handled": handled})

        def run_days(request: Request) -> Response:
            """Run the days as they would pass (`make tick DATE=2027-05-01`): {"to": "2027-05-01"} (and optionally
            "from", default the day after the clock's): each day the clock is set to 03:00 JST, every schedule fires
            and its work queues are drained; the clock stays at the last day, 09:00 JST."""
            from datetime import date

            from shared import clock

            data = _read_json(request) or {}
            try:
                last = date.fromisoformat(str(data["to"]))
                first = date.fromisoformat(str(data["from"])) if "from" in data else clock.today() + timedelta(days=1)
                if not first <= last or (last - first).days > MAX_LOCAL_DAYS:
                    raise ValueError(f"from {first} to {last}: at most {MAX_LOCAL_DAYS} days, forwards")
            except (KeyError, ValueError, TypeError) as error:
                return problem_response(422, "invalid-input", "入力内容に誤りがあります", f"send {{\"to\": \"YYYY-MM-DD\"}}: {error}")
            handled, errors_before = 0, len(self.queues.errors)
            day = first
            while day <= last:
                clock.freeze(datetime(day.year, day.month, day.day, 3, 0, tzinfo=clock.TOKYO))
                for schedule in sorted(self.dispatcher.schedules):
                    self.dispatcher.fire(schedule)
                handled += self.queues.drain()
                day += timedelta(days=1)
            clock.freeze(datetime(last.year, last.month, last.day, 9, 0, tzinfo=clock.TOKYO))
            return json_response({"from": first.isoformat(), "to": last.isoformat(), "messages_handled": handled,
                                  "errors": self.queues.errors[errors_before:], "now": clock.now().isoformat()})

        def index(_: Request) -> Response:
            return Response(walkthrough(self.base_url, self.admin_url), content_type="text/plain; charset=utf-8")

        def verification_callback(request: Request) -> Response:
            """Where the provider sends the browser back (deployed: the app's universal link, which hands code and
            state to the app). Locally it shows them as JSON: the body to POST to /me/verification/complete."""
            if "error" in request.args:
                return problem_response(400, "verification-cancelled", "本人確認が中止されました", request.args["error"])
            return json_response({"state": request.args.get("state", ""), "code": request.args.get("code", "")})

        return {
            ("POST", "/local/sign-in"): sign_in,
            ("GET", VERIFICATION_CALLBACK): verification_callback,
            ("POST", "/local/clock"): move_clock,
            ("POST", "/local/schedules"): fire_schedule,
            ("POST", "/local/days"): run_days,
            ("GET", "/"): index,
            **self._documentation_routes("app", lambda: self.base_url),
        }

    def _admin_local_routes(self):
        from local.gateway import problem_response
        from shared.organisations import catalog

        cognito = boto3.client("cognito-idp")
        identity = self.staff_identity

        def staff_sign_in(request: Request) -> Response:
            """Local only: staff accounts are issued per organisation (R-ADM-1); here the first sign-in with an
            e-mail creates the account for {"organisation_code", "role": "editor"|"viewer"}."""
            data = _read_json(request) or {}
            email, password = data.get("email"), data.get("password")
            code, role = data.get("organisation_code"), data.get("role", "editor")
            if not isinstance(email, str) or not isinstance(password, str):
                return problem_response(422, "invalid-input", "入力内容に誤りがあります", "send email, password, organisation_code, role")
            try:
                cognito.admin_get_user(UserPoolId=identity.user_pool_id, Username=email)
            except cognito.exceptions.UserNotFoundException:
                if not isinstance(code, str) or catalog.get(code) is None or role not in ("editor", "viewer"):
                    return problem_response(
                        422, "invalid-input", "入力内容に誤りがあります",
                        "a new staff account needs a valid organisation_code and role editor or viewer",
                    )
                cognito.admin_create_user(
                    UserPoolId=identity.user_pool_id, Username=email, MessageAction="SUPPRESS",
                    UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:lg_code", "Value": code}],
                )
                cognito.admin_set_user_password(UserPoolId=identity.user_pool_id, Username=email, Password=password, Permanent=True)
                cognito.admin_add_user_to_group(UserPoolId=identity.user_pool_id, Username=email, GroupName=role)
            return _authenticate(cognito, identity, email, password)

        def outbox(_: Request) -> Response:
            """Local only: every e-mail moto's SES received, oldest first (to, subject, text, links): the approval
            link of a premium application, opened in a browser, is the approval page."""
            from local.gateway import json_response
            from local.outbox import outbox as received

            return json_response(received())

        return {
            ("POST", "/local/sign-in"): staff_sign_in,
            ("GET", "/local/outbox"): outbox,
            **self._documentation_routes("admin", lambda: self.admin_url),
        }


def create_staff_pool(cognito) -> tuple[str, str]:
    """The staff pool (local runtime and tests): accounts belong to one organisation, `custom:lg_code`, and have a
    role as a group (editor, viewer); its client allows USER_PASSWORD_AUTH (the approval page's sign-in). Deployed
    the pool also requires TOTP MFA (infra/components/identity.py); moto's pool does not, unless a test asks."""
    pool = cognito.create_user_pool(
        PoolName="furusato-staff",
        UsernameAttributes=["email"],
        Schema=[{"Name": "lg_code", "AttributeDataType": "String", "Mutable": False}],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]
    for group in ("editor", "viewer"):
        cognito.create_group(UserPoolId=pool["Id"], GroupName=group)
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="furusato-admin",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    return pool["Id"], client["ClientId"]


class _Deferred:
    """A WSGI application set once the server is bound (the app gateway's port is needed before it exists)."""

    target = None

    def __call__(self, environ, start_response):
        if self.target is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return self.target(environ, start_response)


def _read_json(request: Request) -> dict | None:
    try:
        data = json.loads(request.get_data() or b"{}")
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _authenticate(cognito, identity: Identity, email: str, password: str) -> Response:
    from local.gateway import json_response, problem_response

    try:
        result = cognito.initiate_auth(
            ClientId=identity.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
        )["AuthenticationResult"]
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        return problem_response(401, "sign-in-failed", "メールアドレスまたはパスワードが違います", "wrong e-mail or password")
    return json_response(
        {"id_token": result["IdToken"], "access_token": result["AccessToken"],
         "refresh_token": result.get("RefreshToken"), "expires_in": result["ExpiresIn"]}
    )




def swagger_ui_assets() -> Path:
    """Swagger UI's files as a PyPI package ships them (flask-swagger-ui, a dev dependency; only its files are used,
    Flask is never imported): /docs works without internet, unlike a CDN."""
    import importlib.util

    spec = importlib.util.find_spec("flask_swagger_ui")  # located, not imported
    return Path(next(iter(spec.submodule_search_locations))) / "dist"


SWAGGER_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui"});</script></body></html>"""


def walkthrough(base: str, admin: str) -> str:
    """What `make run` prints. Every indented line runs as printed, in order, in bash with curl and python3 (a test
    runs it: tests/e2e/test_walkthrough.py); values flow through shell variables, never placeholders."""
    json_field = "python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])'"
    return f"""ふるさと住民登録 — local runtime
  app API   (citizens)        {base}    OpenAPI {base}/openapi.json   Swagger UI {base}/docs
  admin API (municipal staff) {admin}    OpenAPI {admin}/openapi.json   Swagger UI {admin}/docs

Try it (paste into another terminal, in order; needs curl and python3):

  # 1. Browse joined organisations (no sign-in needed)
  curl -s '{base}/organisations?q=気仙沼'
  curl -s {base}/organisations/042056          # intro, card design, survey questions

  # 2. Sign in (local only: a new e-mail is signed up on the spot)
  TOKEN=$(curl -s -X POST {base}/local/sign-in -H 'Content-Type: application/json' \\
          -d '{{"email":"hanako@example.jp","password":"Furusato-2026"}}' | {json_field} id_token)

  # 3. Register with 気仙沼市 (宮城県 is co-registered), answering the survey
  curl -s -X POST {base}/registrations -H "Authorization: $TOKEN" -H 'Idempotency-Key: demo-1' \\
       -H 'Content-Type: application/json' \\
       -d '{{"organisation_code":"042056","answers":{{"relationship":["birthplace"],"interests":["local_news"],"own_fan_club":"member"}}}}'

  # 4. My registrations, the card, and a bad case (422: the survey's required answers are missing)
  curl -s {base}/me/registrations -H "Authorization: $TOKEN"
  curl -s {base}/me/registrations/042056/card -H "Authorization: $TOKEN"
  curl -s -X POST {base}/registrations -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \\
       -d '{{"organisation_code":"212172","answers":{{}}}}'

  # 5. Municipal staff (admin API): sign in as 飛騨市 staff, designate an activity running now, get its QR code
  STAFF=$(curl -s -X POST {admin}/local/sign-in -H 'Content-Type: application/json' \\
          -d '{{"email":"staff@212172.example.lg.jp","password":"Staff-Passw0rd!","organisation_code":"212172","role":"editor"}}' \\
          | {json_field} id_token)
  STARTS=$(python3 -c 'from datetime import datetime,timezone; print(datetime.now(timezone.utc).isoformat(timespec="seconds"))')
  ENDS=$(python3 -c 'from datetime import datetime,timedelta,timezone; print((datetime.now(timezone.utc)+timedelta(hours=2)).isoformat(timespec="seconds"))')
  ACTIVITY=$(curl -s -X POST {admin}/activities -H "Authorization: $STAFF" -H 'Content-Type: application/json' \\
             -d '{{"name":"雪下ろし","kind":"project","starts_at":"'"$STARTS"'","ends_at":"'"$ENDS"'","place":"古川町"}}' \\
             | {json_field} id)
  curl -s -o code.png "{admin}/activities/$ACTIVITY/checkin-code?format=png" -H "Authorization: $STAFF"   # print it
  CODE=$(curl -s "{admin}/activities/$ACTIVITY/checkin-code" -H "Authorization: $STAFF" | {json_field} url)

  # 6. The citizen registers with 飛騨市 (岐阜県 is co-registered), scans the code (its text: $CODE) and sees the record
  curl -s -X POST {base}/registrations -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \\
       -d '{{"organisation_code":"212172","answers":{{"relationship":["birthplace"],"interests":["local_news"]}}}}'
  curl -s -X POST {base}/checkins -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \\
       -d '{{"code":"'"$CODE"'"}}'
  curl -s {base}/me/records/212172 -H "Authorization: $TOKEN"

  # 7. Verify identity with the My Number Card: a development provider stands in for the authentication app.
  #    Open $AUTH_URL in a browser to pick or type a test identity; here a preset is posted to it instead.
  AUTH_URL=$(curl -s -X POST {base}/me/verification -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
             -d '{{"share_with_organisations":true}}' | {json_field} authorization_url)
  CALLBACK=$(curl -s -L "$AUTH_URL" -d preset=hida-adult -d decision=approve)   # the app receives code and state
  curl -s -X POST {base}/me/verification/complete -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
       -d "$CALLBACK"
  curl -s {base}/me/registrations/212172/card -H "Authorization: $TOKEN"       # "verified": true, 本人確認済み

  # 8. Apply for premium at 飛騨市: the premium state machine (executed by moto) judges it in a moment; this person
  #    lives in 飛騨市 and has one activity, so every unmet requirement is listed, and a notice tells them
  APPLICATION=$(curl -s -X POST {base}/me/premium-applications -H "Authorization: $TOKEN" \
                -H 'Content-Type: application/json' -d '{{"organisation_code":"212172"}}' | {json_field} id)
  sleep 3
  curl -s {base}/me/premium-applications/212172/$APPLICATION -H "Authorization: $TOKEN"   # "ineligible", reasons
  curl -s {base}/me/notices -H "Authorization: $TOKEN"
  #    Eligible applications e-mail the organisation's approvers a link to the approval page: this terminal prints
  #    each e-mail, and {admin}/local/outbox lists them.

Or run all of it (both sides): make demo
"""
