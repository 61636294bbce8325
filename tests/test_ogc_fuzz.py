"""Schema-driven fuzzing of /ogc from its own OpenAPI document (schemathesis).

Every operation of ``/ogc/api`` is called with generated parameters, a bounded number of times
per operation, through the app's WSGI interface. The responses must never be a server error
and must match the document: documented status codes, content types and JSON schemas.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from webapp import DEFAULT_DATA_DIR, create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


#: Built at collection: schemathesis parametrizes the test by the document's operations.
schema = schemathesis.openapi.from_wsgi(
    "/ogc/api", create_app({"TESTING": True, "DATA_DIR": str(DEFAULT_DATA_DIR)})
)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_ogc_api_conforms_to_its_document(case):
    # The WSGI transport does not decompress: ask for identity (gzip is tested in test_ogc).
    case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})
