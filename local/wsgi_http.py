"""HTTP answered by a WSGI application in-process, no socket: the verifier (shared/dal/identity_provider.Http) talking
to the development provider in tests and in the bench."""

from __future__ import annotations


class WsgiHttp:
    """The verifier's HTTP (shared/dal/identity_provider.Http) answered by a WSGI application in-process: the
    development provider, without a socket."""

    def __init__(self, application) -> None:
        from werkzeug.test import Client

        self.client = Client(application)

    def get(self, url: str) -> tuple[int, bytes]:
        response = self.client.get(url)
        return response.status_code, response.get_data()

    def post_form(self, url: str, fields: dict[str, str]) -> tuple[int, bytes]:
        response = self.client.post(url, data=fields)
        return response.status_code, response.get_data()


class AwsEndpointsOnMoto:
    """Outbound HTTP of the handlers under an in-process moto (handler tests, the bench): AWS's public endpoints (the
    staff pool's JWKS, which the approval page reads) answered by moto (mock_aws intercepts `requests`); anything
    else (the identity provider) by `other`."""

    def __init__(self, other) -> None:
        self.other = other

    def get(self, url: str) -> tuple[int, bytes]:
        if ".amazonaws.com/" in url:
            import requests

            response = requests.get(url, timeout=5)
            return response.status_code, response.content
        return self.other.get(url)

    def post_form(self, url: str, fields: dict[str, str]) -> tuple[int, bytes]:
        return self.other.post_form(url, fields)
