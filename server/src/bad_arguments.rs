//! Server functions answer every error with a 500 (or, to a plain form post, a redirect to
//! the home page marked `serverfnerror`), including arguments that did not parse. Those
//! are the client's fault: this turns them into a 400 with one clear line.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

/// Error bodies are one short line; anything bigger is not one of these.
const MAX_ERROR_BODY: usize = 16 * 1024;

pub async fn as_bad_request(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let failed = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        || response.headers().contains_key("serverfnerror");
    if !is_server_fn || !failed {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    // server_fn's encoding of its error: `Variant|detail`.
    let bad_input = [&b"Args|"[..], b"MissingArg|", b"Deserialization|"]
        .iter()
        .any(|prefix| bytes.starts_with(prefix));
    if bad_input {
        tracing::debug!(detail = %String::from_utf8_lossy(&bytes), "server function arguments refused");
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Bad request: the form was incomplete or malformed. Go back, reload the page and try again.",
        )
            .into_response();
    }
    Response::from_parts(parts, Body::from(bytes))
}
