//! RFC 9457 problem details: every error the API returns is
//! `application/problem+json` with a stable `type`, the HTTP status, a
//! human-readable `detail` and, for invalid feedback, the list of problems
//! with their field paths.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use carepulse_model::{Problem, ProblemCode, Problems};
use serde::Serialize;

/// An API error, safe to show to the client.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    /// `urn:carepulse:problem:<kind>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: &'static str,
    /// HTTP status.
    pub status: u16,
    /// What went wrong and what to do.
    pub detail: String,
    /// Field-level problems of invalid feedback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// Seconds to wait before retrying (429, 503).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &str, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            kind: format!("urn:carepulse:problem:{kind}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            problems: Vec::new(),
            retry_after: None,
        }
    }

    /// 400: the body is not JSON (or not the expected shape of batch).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Malformed request",
            detail,
        )
    }

    /// 401: no or unknown token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or invalid API token",
            detail,
        )
    }

    /// 403: the token may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for this token",
            detail,
        )
    }

    /// 404: no such endpoint.
    pub fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such endpoint",
            format!("no endpoint at '{path}': see the OpenAPI document at /v1/openapi.json"),
        )
    }

    /// 405: wrong method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "this endpoint takes POST",
        )
    }

    /// 413: body or batch too large.
    pub fn too_large(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request too large",
            detail,
        )
    }

    /// 415: wrong content type.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported content type",
            format!("send the body with Content-Type: {expected}"),
        )
    }

    /// 400 or 422 from decoding and validation problems: 400 when the body
    /// is not JSON at all, 422 otherwise.
    pub fn invalid(problems: Problems) -> Self {
        let malformed = problems
            .iter()
            .any(|p| p.code == ProblemCode::MalformedJson);
        let mut error = if malformed {
            Self::bad_request("the body is not valid JSON")
        } else {
            Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-feedback",
                "Invalid feedback",
                match problems.0.as_slice() {
                    [one] => one.to_string(),
                    [first, rest @ ..] => format!(
                        "{first} (and {} more problem(s), see `problems`)",
                        rest.len()
                    ),
                    [] => "the feedback is invalid".to_owned(),
                },
            )
        };
        if malformed {
            error.detail = problems.to_string();
        }
        error.problems = problems.0;
        error
    }

    /// 429: over the rate limit.
    pub fn rate_limited(detail: impl Into<String>, retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            detail,
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// 503: the event was not stored; retry later.
    pub fn unavailable(detail: impl Into<String>, retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Feedback not stored, retry later",
            detail,
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// The status as a `StatusCode`.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The metric reason label: the first problem's code, or the kind.
    pub fn reason(&self) -> &str {
        self.problems
            .first()
            .map(|p| p.code.as_str())
            .unwrap_or_else(|| self.kind.rsplit(':').next().unwrap_or("unknown"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
