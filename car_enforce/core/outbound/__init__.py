"""Calls to outside services (DESIGN §4, convention 13): one client, its failures classified, its POSTs keyed.

``Service`` says where a service is and how patiently to call it; ``OutboundClient`` makes the calls
(``post``, ``get``, ``request``) and raises ``OutboundError`` with ``permanent`` set when trying again
cannot help; ``check`` callables turn a 2xx answer into what the service promised or raise
``MalformedResponse``. Signers add signatures: ``HmacRequestSigner`` for services, the Standard Webhooks
signer for webhooks.

A client of one service the settings name (the payment gateway, the registry) subclasses ``ServiceClient``
(``service_client``) and reads the answers with ``answers``' field readers and checks; the messages such a
service signs and sends back are verified and opened by ``signed_messages``. The auction and inquiry
platforms' clients and receivers use the same readers and the same verification.
"""

from car_enforce.core.outbound.client import (
    IDEMPOTENCY_HEADER,
    ONE_TRY,
    RETRYABLE_4XX,
    MalformedResponse,
    OutboundClient,
    OutboundError,
    RetryPolicy,
    Service,
    json_object,
    new_http_pool,
    parse_retry_after,
)
from car_enforce.core.outbound.signing import HmacRequestSigner, InvalidSignature, Signer, SigningInput

__all__ = [
    "IDEMPOTENCY_HEADER",
    "ONE_TRY",
    "RETRYABLE_4XX",
    "HmacRequestSigner",
    "InvalidSignature",
    "MalformedResponse",
    "OutboundClient",
    "OutboundError",
    "RetryPolicy",
    "Service",
    "Signer",
    "SigningInput",
    "json_object",
    "new_http_pool",
    "parse_retry_after",
]
